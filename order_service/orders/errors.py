from enum import StrEnum

from rest_framework import status

from common.errors import ApiError, ErrorCode


class OrderErrorCode(StrEnum):
    CART_EMPTY = "cart_empty"
    PRODUCT_UNAVAILABLE = "product_unavailable"
    INSUFFICIENT_STOCK = "insufficient_stock"
    CHECKOUT_IN_PROGRESS = "checkout_in_progress"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_KEY_IN_USE = "idempotency_key_in_use"
    ILLEGAL_STATUS_CHANGE = "illegal_status_change"
    ORDER_TOTAL_TOO_LARGE = "order_total_too_large"
    ORDER_NOT_PAYABLE = "order_not_payable"
    CHECKOUT_ABANDONED = "checkout_abandoned"


class UnprocessableEntity(ApiError):
    """422: the request is well formed but cannot be taken as it is (a reused Idempotency-Key)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class DatabaseUnavailable(ApiError):
    """503: our own database failed mid-request; nothing was kept."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = ErrorCode.DATABASE_UNAVAILABLE
