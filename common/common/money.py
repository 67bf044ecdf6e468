"""The limits of money, checked where money is made: a cart line and a cart when a book
is added (cart_service), an order's total at checkout (order_service).

Every money column is decimal(14, 2) (order totals and lines, payments), and every
consumer reads money with 14 digits (notification_service), so a total within the
limit can always be stored and read back, on SQLite and PostgreSQL alike.
"""

from decimal import Decimal

MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2
# The largest cart or order total: under a billion, far inside decimal(14, 2).
MAX_ORDER_TOTAL = Decimal("999999999.99")


def check_total(total: Decimal, *, what: str, code: str) -> None:
    """409 `code` if `total` is past MAX_ORDER_TOTAL; `what` says whose total it is in
    the message ("this cart's", "the cart with this book")."""
    from common.errors import Conflict

    if total > MAX_ORDER_TOTAL:
        raise Conflict(
            f"A total may be at most {MAX_ORDER_TOTAL}; {what} is {total}.",
            code=code,
            details={"total": str(total), "max_total": str(MAX_ORDER_TOTAL)},
        )
