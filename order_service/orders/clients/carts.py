"""cart_service, as checkout needs it: read a cart with prices (5.4), clear it (5.5)."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from common.errors import ServiceUnavailable
from common.http import client_for, peer_body

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


CART = {"items": [{"product_id": int, "quantity": int}], "details_available": bool}


def cart_get(*, user_id: int) -> Cart:
    """The cart with titles and prices, one call; a user without a cart has an empty one.
    An answer that is not a cart as the contract has it is the cart service unavailable."""
    response = client_for(SERVICE).get(f"/api/carts/{user_id}/")
    if response.status_code == 404:
        return Cart(user_id=user_id, lines=[], details_available=True)
    if response.status_code != 200:
        raise ServiceUnavailable(SERVICE, f"The cart service refused to read the cart ({response.status_code}).")
    body = peer_body(response, service=SERVICE, shape=CART)
    try:
        return _parse(body, user_id)
    except (ValueError, TypeError, InvalidOperation):
        raise ServiceUnavailable(SERVICE, "The cart service answered with a cart this service cannot read.") from None


def _parse(body: dict, user_id: int) -> Cart:
    lines = []
    for item in body["items"]:
        product_id, quantity = item["product_id"], item["quantity"]
        if product_id < 1 or quantity < 1:
            raise ValueError("bad cart line")
        title, price, available = item.get("title"), item.get("unit_price"), item.get("available")
        if title is not None and not isinstance(title, str):
            raise ValueError("bad title")
        if available is not None and not isinstance(available, bool):
            raise ValueError("bad available")
        lines.append(
            CartLine(
                product_id=product_id,
                quantity=quantity,
                title=title,
                unit_price=None if price is None else _price(price),
                available=available,
            )
        )
    return Cart(user_id=user_id, lines=lines, details_available=body["details_available"])


def _price(raw) -> Decimal:
    """A price as the cart sends it (a decimal string): finite and not negative, else unreadable."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise TypeError("bad price")
    price = Decimal(str(raw))
    if not price.is_finite() or price < 0:
        raise ValueError("bad price")
    return price
