from enum import StrEnum

from rest_framework import status

from common.errors import ApiError, ErrorCode


class OrderErrorCode(StrEnum):
    CART_EMPTY = "cart_empty"
    PRODUCT_UNAVAILABLE = "product_unavailable"
    INSUFFICIENT_STOCK = "insufficient_stock"
    CHECKOUT_IN_PROGRESS = "checkout_in_progress"
    ILLEGAL_STATUS_CHANGE = "illegal_status_change"
    ORDER_TOTAL_TOO_LARGE = "order_total_too_large"
    ORDER_NOT_PAYABLE = "order_not_payable"
    EMAIL_NOT_VERIFIED = "email_not_verified"


class EmailNotVerified(ApiError):
    """403: a person whose email is not verified may not check out
    (CHECKOUT_REQUIRES_VERIFIED_EMAIL)."""

    status_code = status.HTTP_403_FORBIDDEN
    code = OrderErrorCode.EMAIL_NOT_VERIFIED


class DatabaseUnavailable(ApiError):
    """503: our own database failed mid-request; nothing was kept."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = ErrorCode.DATABASE_UNAVAILABLE
