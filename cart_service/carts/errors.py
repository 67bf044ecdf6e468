from enum import StrEnum

from common.errors import NotFound


class CartErrorCode(StrEnum):
    CART_NOT_FOUND = "cart_not_found"
    ITEM_NOT_FOUND = "cart_item_not_found"
    UNKNOWN_PRODUCT = "unknown_product"
    LINE_QUANTITY_LIMIT = "line_quantity_limit"
    CART_FULL = "cart_full"
    CART_TOTAL_TOO_LARGE = "cart_total_too_large"


def cart_not_found(user_id: int) -> NotFound:
    return NotFound(f"User {user_id} has no cart.", code=CartErrorCode.CART_NOT_FOUND)
