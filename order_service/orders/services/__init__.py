"""Writes to orders: checkout (3.1), status changes (3.2), payments taking an order,
and the sweeps that end what nobody finishes. One module per concern:

- checkout.py: the cart becomes an order, or nothing changes anywhere; the sweep that
  releases the stock of checkouts a crash interrupted;
- status.py: the order's life (the moves, a payment taking it, cancels, expiry);
- stock.py: the stock release both of them schedule.

The steps of checkout and payment, their compensations and what happens at each crash
point: docs/architecture.md, "Checkout, payment and cancellation".
"""

from orders.services.checkout import order_checkout, reservation_intents_abandon
from orders.services.status import (
    ALLOWED_MOVES,
    allowed_moves,
    order_cancel_refunded,
    order_payment_accept,
    order_status_change,
    orders_expire_unpaid,
    orders_of_erased_account_close,
)

__all__ = [
    "ALLOWED_MOVES",
    "allowed_moves",
    "order_cancel_refunded",
    "order_checkout",
    "order_payment_accept",
    "order_status_change",
    "orders_expire_unpaid",
    "orders_of_erased_account_close",
    "reservation_intents_abandon",
]
