"""Reads of carts."""

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from carts.clients import books
from carts.errors import cart_not_found
from carts.models import Cart
from common.errors import DependencyError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CartLine:
    product_id: int
    quantity: int
    # None when the book is gone (available False) or its details could not be read (available None).
    title: str | None
    unit_price: Decimal | None
    available: bool | None

    @property
    def line_total(self) -> Decimal | None:
        return None if self.unit_price is None else self.unit_price * self.quantity


@dataclass(frozen=True)
class CartDetail:
    user_id: int
    updated_at: datetime
    lines: list[CartLine]
    details_available: bool  # False: book_service could not be asked; lines carry no title or price

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def total_price(self) -> Decimal | None:
        """The price of the lines whose book is available; None without book details."""
        if not self.details_available:
            return None
        return sum((line.line_total for line in self.lines if line.line_total is not None), Decimal("0"))


def cart_detail(*, user_id: int) -> CartDetail:
    """5.4: every line with its book's title and price from one batched call to
    book_service. A book deleted since shows as unavailable; if book_service cannot
    answer, the lines come without details rather than the cart failing."""
    # The cart and its lines in one statement (a LEFT JOIN): a row per line, one row
    # without a product for an empty cart, none for a user without a cart.
    rows = list(
        Cart.objects.filter(user_id=user_id)
        .order_by("items__id")
        .values_list("updated_at", "items__product_id", "items__quantity")
    )
    if not rows:
        raise cart_not_found(user_id)
    updated_at = rows[0][0]
    items = [(product_id, quantity) for _, product_id, quantity in rows if product_id is not None]
    try:
        found = books.books_fetch(ids=[product_id for product_id, _ in items])
    except DependencyError as error:
        logger.warning("cart of user %s shown without book details: %s", user_id, error.message)
        lines = [CartLine(product_id, quantity, None, None, None) for product_id, quantity in items]
        return CartDetail(user_id=user_id, updated_at=updated_at, lines=lines, details_available=False)
    lines = []
    for product_id, quantity in items:
        book = found.get(product_id)
        if book is None:
            lines.append(CartLine(product_id, quantity, None, None, available=False))
        else:
            lines.append(CartLine(product_id, quantity, book.title, book.price, available=True))
    return CartDetail(user_id=user_id, updated_at=updated_at, lines=lines, details_available=True)
