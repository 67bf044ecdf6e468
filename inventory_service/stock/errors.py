from enum import StrEnum


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
    RESERVATION_EXPIRED = "reservation_expired"
    RESERVATION_NOT_FOUND = "reservation_not_found"
