"""An order's life (3.2): the moves staff and customers make, a payment taking the
order, cancels (by hand, by a refund, by the expiry of an unpaid order).

A payment takes an order with one UPDATE (order_payment_accept), made only while the
order is pending and untaken, under the row lock a cancel and the expiry take too, so
of a payment and a cancel exactly one wins.
"""

import logging
from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from common.auth import Caller
from common.errors import Conflict, NotFound
from common.outbox.dispatcher import deliver_now
from common.outbox.publisher import ScheduledCall, publish
from common.statements import fields_save, insert
from orders.errors import OrderErrorCode
from orders.models import Order, OrderStatus, OrderStatusChange, PaymentMethod
from orders.selectors import order_by_key
from orders.services.stock import release_scheduled

logger = logging.getLogger(__name__)

ALLOWED_MOVES: dict[str, tuple[str, ...]] = {
    OrderStatus.PENDING: (OrderStatus.PAID, OrderStatus.CANCELLED),
    OrderStatus.PAID: (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
    OrderStatus.SHIPPED: (OrderStatus.DELIVERED,),
    OrderStatus.DELIVERED: (),
    OrderStatus.CANCELLED: (),
}


def order_status_change(*, order_id: int, to_status: str, caller: Caller) -> Order:
    """3.2: move an order along its life. Cancelling gives the stock back, at once if
    inventory answers, else through the outbox."""
    order, release = _order_status_save(order_id=order_id, to_status=to_status, caller=caller)
    if release is not None:
        deliver_now(release)
    return order


@transaction.atomic
def order_payment_accept(*, order_id: int, payment_id: int, method: str, by_service: str) -> Order:
    """A payment asks to take the order: a card payment makes a pending order paid, a
    cash-on-delivery one confirms it (it stays pending, no longer expires, and may be
    shipped). Only a pending order that no payment has taken can be taken, under the
    order's row lock, so a cancel or the expiry and a payment cannot both win. Asking
    again for the same payment answers the order as it is now (the payment service
    retries after a crash and reads the outcome from it); anything else is a 409.
    The order is answered as it was just written, not read again."""
    order = order_by_key(order_id, locked=True)
    if order is None:
        raise NotFound(f"There is no order {order_id}.")
    if order.payment_id != payment_id:
        _order_take(order, payment_id=payment_id, method=method, by_service=by_service)
    return order


def _order_take(order: Order, *, payment_id: int, method: str, by_service: str) -> None:
    if order.status != OrderStatus.PENDING or order.payment_id is not None:
        raise Conflict(
            f"Only a pending order can be paid; this one is {order.status}"
            + (f" and taken by payment {order.payment_id}." if order.payment_id else "."),
            code=OrderErrorCode.ORDER_NOT_PAYABLE,
            details={"status": order.status, "payment_id": order.payment_id},
        )
    order.payment_id = payment_id
    order.payment_due_at = None
    order.cash_on_delivery = method == PaymentMethod.COD
    taken = ("payment_id", "payment_due_at", "cash_on_delivery")
    if method == PaymentMethod.CARD:  # taken and paid in one UPDATE
        _order_move(order, to_status=OrderStatus.PAID, caller=Caller(user_id=None, service=by_service), saving=taken)
    else:
        fields_save(order, (*taken, "updated_at"))


def order_cancel_refunded(*, order_id: int, by_service: str) -> Order | None:
    """A payment was refunded (event payment.refunded): a pending or paid order is
    cancelled and its stock given back. A cancelled one stays as it is; a shipped or
    delivered one too (the goods have left), which is logged for staff to follow up.
    Runs inside the event's transaction, so the stock release is made after its commit."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        logger.warning("payment refunded for unknown order %s", order_id)
        return None
    if order.status not in (OrderStatus.PENDING, OrderStatus.PAID):
        if order.status != OrderStatus.CANCELLED:
            logger.warning("payment refunded for %s order %s: its stock is not returned", order.status, order_id)
        return order
    try:
        order, release = _order_status_save(
            order_id=order_id,
            to_status=OrderStatus.CANCELLED,
            caller=Caller(user_id=None, service=by_service),
            reason="refunded",
        )
    except Conflict:  # a concurrent change got there first
        return Order.objects.get(pk=order_id)
    if release is not None:
        transaction.on_commit(lambda: deliver_now(release))
    return order


def orders_expire_unpaid(*, limit: int = 100) -> int:
    """The sweep: pending orders that no payment took by their payment_due_at are
    cancelled (reason payment_expired) and their stock given back; how many."""
    due = Order.objects.filter(status=OrderStatus.PENDING, payment_due_at__lt=timezone.now()).order_by("payment_due_at")
    expired = 0
    for order_id in due.values_list("pk", flat=True)[:limit]:
        release = _order_expire(order_id=order_id)
        if release is not None:
            deliver_now(release)
            expired += 1
    return expired


@transaction.atomic
def _order_expire(*, order_id: int) -> ScheduledCall | None:
    order = order_by_key(order_id, locked=True)
    # Checked again under the lock: paid, taken or cancelled meanwhile, it stays.
    if order is None or order.status != OrderStatus.PENDING or order.payment_id is not None:
        return None
    if order.payment_due_at is None or order.payment_due_at >= timezone.now():
        return None
    logger.info("order %s was not paid by %s: cancelling it", order_id, order.payment_due_at.isoformat())
    return _order_move(order, to_status=OrderStatus.CANCELLED, caller=Caller.this_service(), reason="payment_expired")


def orders_of_erased_account_close(user_id: int) -> int:
    """account.deleted, in its transaction: the person's pending orders are cancelled
    (reason account_deleted) and their stock given back after the commit, as nobody is
    left to pay or receive them. The other orders stay, by user id only, for the shop's
    accounts; a paid one not yet shipped is staff's to refund. How many were cancelled."""
    pending = Order.objects.select_for_update().filter(user_id=user_id, status=OrderStatus.PENDING)
    cancelled = 0
    for order in pending.order_by("id"):
        release = _order_move(
            order, to_status=OrderStatus.CANCELLED, caller=Caller.this_service(), reason="account_deleted"
        )
        if release is not None:
            transaction.on_commit(partial(deliver_now, release))
        cancelled += 1
    return cancelled


def allowed_moves(order: Order) -> tuple[str, ...]:
    """Where the order may go from its status: a cash-on-delivery order ships unpaid."""
    if order.status == OrderStatus.PENDING and order.cash_on_delivery:
        return (OrderStatus.SHIPPED, OrderStatus.CANCELLED)
    return ALLOWED_MOVES[order.status]


@transaction.atomic
def _order_status_save(
    *, order_id: int, to_status: str, caller: Caller, reason: str = ""
) -> tuple[Order, ScheduledCall | None]:
    order = order_by_key(order_id, locked=True)
    if order is None:
        raise NotFound(f"There is no order {order_id}.")
    if not caller.is_privileged and order.user_id != caller.user_id:  # someone else's: not there for them
        raise NotFound(f"There is no order {order_id}.")
    # Who may ask comes before whether the move is legal: a customer learns nothing
    # from a 409 about a move that only staff may make.
    if not caller.is_privileged and to_status != OrderStatus.CANCELLED:
        raise PermissionDenied("A customer may only cancel their own pending order.")
    allowed = allowed_moves(order)
    if to_status not in allowed:
        moves = ", ".join(allowed) or "none"
        raise Conflict(
            f"An order that is {order.status} cannot become {to_status}; allowed: {moves}.",
            code=OrderErrorCode.ILLEGAL_STATUS_CHANGE,
            details={"status": order.status, "allowed": list(allowed)},
        )
    if not caller.is_privileged and not (order.status == OrderStatus.PENDING and to_status == OrderStatus.CANCELLED):
        raise PermissionDenied("A customer may only cancel their own pending order.")
    return order, _order_move(order, to_status=to_status, caller=caller, reason=reason)


def _order_move(
    order: Order, *, to_status: str, caller: Caller, reason: str = "", saving: Iterable[str] = ()
) -> ScheduledCall | None:
    """Inside the transaction holding the order's lock: the new status, its history row
    and event; for a cancel, the stock release (returned, for the caller to make after
    the commit). A paid order's refund follows from the event (payment_service).
    `saving`: other fields the caller has changed on `order`, saved with the status."""
    from_status = order.status
    order.status = to_status
    fields_save(order, ("status", *saving, "updated_at"))
    change = OrderStatusChange(
        order=order,
        from_status=from_status,
        to_status=to_status,
        changed_by_user_id=caller.user_id,
        changed_by=caller.label,
        reason=reason,
    )
    insert([change])  # as create() writes it, by a statement made once per process
    publish(
        "order.status_changed",
        {
            "order_id": order.pk,
            "user_id": order.user_id,
            "from_status": from_status,
            "to_status": to_status,
            "changed_at": change.changed_at.isoformat(),
            "changed_by": caller.label,
            "reason": reason,
            "payment_id": order.payment_id,
            "total": str(order.total),
        },
        key=f"order:{order.pk}",
    )
    if to_status != OrderStatus.CANCELLED:
        return None
    return release_scheduled(reference=order.reservation_reference, order_id=order.pk)
