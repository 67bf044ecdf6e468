from enum import StrEnum

from rest_framework import status

from common.errors import ApiError, ErrorCode


class StockErrorCode(StrEnum):
    WAREHOUSE_NOT_FOUND = "warehouse_not_found"
    WAREHOUSE_EXISTS = "warehouse_exists"
    WAREHOUSE_NOT_ACTIVE = "warehouse_not_active"
    CAPACITY_EXCEEDED = "capacity_exceeded"
    CAPACITY_BELOW_STOCK = "capacity_below_stock"
    INSUFFICIENT_STOCK = "insufficient_stock"
    PRODUCT_NOT_STOCKED = "product_not_stocked"
    RESERVATION_REFERENCE_REUSED = "reservation_reference_reused"
    RESERVATION_RELEASED = "reservation_released"


class NotFound(ApiError):
    """A 404 with a code of this domain (DRF's NotFound has only the generic one)."""

    status_code = status.HTTP_404_NOT_FOUND
    code = ErrorCode.NOT_FOUND
