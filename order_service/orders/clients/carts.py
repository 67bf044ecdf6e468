"""cart_service, as checkout needs it: read a cart with prices (5.4), clear it (5.5)."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from common.errors import ServiceUnavailable
from common.http import client_for

SERVICE = "cart"


@dataclass(frozen=True)
class CartLine:
    product_id: int
    quantity: int
    title: str | None  # None when book details are unavailable
    unit_price: Decimal | None
    available: bool | None  # False: the book no longer exists; None: unknown (book_service down)


@dataclass(frozen=True)
class Cart:
    user_id: int
    lines: list[CartLine]
    details_available: bool


def cart_items_path(user_id: int) -> str:
    """DELETE here clears the cart (5.5): the path checkout schedules through the outbox."""
    return f"/api/carts/{user_id}/items/"


def cart_get(*, user_id: int) -> Cart:
    """The cart with titles and prices, one call; a user without a cart has an empty one."""
    response = client_for(SERVICE).get(f"/api/carts/{user_id}/")
    if response.status_code == 404:
        return Cart(user_id=user_id, lines=[], details_available=True)
    if response.status_code != 200:
        raise ServiceUnavailable(SERVICE, f"The cart service refused to read the cart ({response.status_code}).")
    try:
        return _parse(response.json(), user_id)
    except (ValueError, TypeError, KeyError, InvalidOperation, AttributeError):
        raise ServiceUnavailable(SERVICE, "The cart service answered with a cart this service cannot read.") from None


def _parse(body: dict, user_id: int) -> Cart:
    lines = []
    for item in body["items"]:
        product_id, quantity = item["product_id"], item["quantity"]
        if not (isinstance(product_id, int) and isinstance(quantity, int)) or product_id < 1 or quantity < 1:
            raise ValueError("bad cart line")
        price = item.get("unit_price")
        title = item.get("title")
        if title is not None and not isinstance(title, str):
            raise ValueError("bad title")
        lines.append(
            CartLine(
                product_id=product_id,
                quantity=quantity,
                title=title,
                unit_price=None if price is None else Decimal(str(price)),
                available=item.get("available"),
            )
        )
    if not isinstance(body["details_available"], bool):
        raise ValueError("bad details_available")
    return Cart(user_id=user_id, lines=lines, details_available=body["details_available"])
