"""Reads of carts."""

import logging
from dataclasses import dataclass
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
    cart: Cart
    lines: list[CartLine]
    details_available: bool  # False: book_service could not be asked; lines carry no title or price

    @property
    def user_id(self) -> int:
        return self.cart.user_id

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def total_price(self) -> Decimal | None:
        """The price of the lines whose book is available; None without book details."""
        if not self.details_available:
            return None
        return sum((line.line_total for line in self.lines if line.line_total is not None), Decimal("0"))


def cart_get(*, user_id: int) -> Cart:
    cart = Cart.objects.filter(user_id=user_id).first()
    if cart is None:
        raise cart_not_found(user_id)
    return cart


def cart_detail(*, user_id: int) -> CartDetail:
    """5.4: every line with its book's title and price from one batched call to
    book_service. A book deleted since shows as unavailable; if book_service cannot
    answer, the lines come without details rather than the cart failing."""
    cart = cart_get(user_id=user_id)
    items = list(cart.items.all())
    try:
        found = books.books_fetch(ids=[item.product_id for item in items])
    except DependencyError as error:
        logger.warning("cart of user %s shown without book details: %s", user_id, error.message)
        lines = [CartLine(item.product_id, item.quantity, None, None, None) for item in items]
        return CartDetail(cart=cart, lines=lines, details_available=False)
    lines = []
    for item in items:
        book = found.get(item.product_id)
        if book is None:
            lines.append(CartLine(item.product_id, item.quantity, None, None, available=False))
        else:
            lines.append(CartLine(item.product_id, item.quantity, book.title, book.price, available=True))
    return CartDetail(cart=cart, lines=lines, details_available=True)
