from enum import StrEnum

from rest_framework import status

from common.errors import ApiError, ErrorCode


class CartErrorCode(StrEnum):
    CART_NOT_FOUND = "cart_not_found"
    ITEM_NOT_FOUND = "cart_item_not_found"
    UNKNOWN_PRODUCT = "unknown_product"
    LINE_QUANTITY_LIMIT = "line_quantity_limit"
    CART_FULL = "cart_full"


class NotFound(ApiError):
    """A 404 with its own code (common.errors has no 404 type yet)."""

    status_code = status.HTTP_404_NOT_FOUND
    code = ErrorCode.NOT_FOUND


def cart_not_found(user_id: int) -> NotFound:
    return NotFound(f"User {user_id} has no cart.", code=CartErrorCode.CART_NOT_FOUND)
