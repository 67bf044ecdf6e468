"""Reads of carts."""

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import F

from carts.clients import books
from carts.errors import cart_not_found
from carts.models import Cart, CartItem
from common.errors import DependencyError
from common.statements import ReadByKey, statement_by_key

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


# These reads run on every add, cart view and checkout with the SQL the ORM wrote once
# per process (common.statements): compiling it was most of their CPU.
# The cart and its lines in one statement (a LEFT JOIN): a row per line, one row without
# a product for an empty cart, none for a user without a cart.
_cart_with_lines = statement_by_key(
    lambda user_id: (
        Cart.objects.filter(user_id=user_id)
        .order_by("items__id")
        .annotate(line_product_id=F("items__product_id"), line_quantity=F("items__quantity"))
        .only("updated_at")
    )
)
# Without the model's ORDER BY id, which the callers do not need.
_product_ids_in_cart = statement_by_key(
    lambda user_id: CartItem.objects.filter(cart__user_id=user_id).order_by().values_list("product_id", flat=True)
)
_lines_of_cart = ReadByKey(lambda cart_id: CartItem.objects.filter(cart_id=cart_id).order_by())


def cart_product_ids(*, user_id: int) -> set[int]:
    """The ids of the products in the user's cart (none without a cart)."""
    with connection.cursor() as cursor:
        cursor.execute(_product_ids_in_cart(), [user_id])
        return {product_id for (product_id,) in cursor.fetchall()}


def cart_lines(*, cart_id: int) -> list[CartItem]:
    """The lines of a cart, in no particular order."""
    return _lines_of_cart(cart_id)


def cart_detail(*, user_id: int) -> CartDetail:
    """5.4: every line with its book's title and price from one batched call to
    book_service. A book deleted since shows as unavailable; if book_service cannot
    answer, the lines come without details rather than the cart failing."""
    # Carts, each with one line's line_product_id and line_quantity; updated_at converted as a queryset does.
    rows: list[Any] = list(Cart.objects.raw(_cart_with_lines(), [user_id]))
    if not rows:
        raise cart_not_found(user_id)
    updated_at = rows[0].updated_at
    items = [(row.line_product_id, row.line_quantity) for row in rows if row.line_product_id is not None]
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
