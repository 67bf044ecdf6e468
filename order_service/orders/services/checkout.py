"""Checkout (3.1): the user's cart becomes an order, or nothing changes anywhere.

Checkout talks to two other services, so it is not one database transaction: the
HTTP calls are made outside any transaction (a transaction held across them would
lock the database for as long as a peer takes), and what must hold together is
written in one inner transaction: the order, its lines, its first history row, the
order.created event, the cart-clearing call and the call confirming the stock hold.
Before inventory is asked, the reservation's reference is committed as a
ReservationIntent, so a process that dies mid-checkout leaves a trace the sweep
finishes: the order's transaction deletes the intent, and an intent older than
CHECKOUT_ABANDONED_SECONDS is released. Everything after the order's transaction is
delivered by the outbox until it succeeds.
"""

import functools
import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import cast

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from common.auth import Caller
from common.db import create_unless_present, quoted_column, quoted_table
from common.errors import Conflict, DependencyError, ServiceUnavailable
from common.money import check_total
from common.outbox.dispatcher import deliver_now, deliver_pending, undelivered
from common.outbox.publisher import ScheduledCall, publish, schedule_call
from common.statements import insert
from orders.clients import carts, inventory
from orders.errors import DatabaseUnavailable, EmailNotVerified, OrderErrorCode
from orders.models import CheckoutLock, Order, OrderLine, OrderStatus, OrderStatusChange, ReservationIntent
from orders.selectors import order_details_attach
from orders.services.stock import release_scheduled

logger = logging.getLogger(__name__)

# A checkout lock older than this belongs to a checkout whose process died: the next
# checkout takes it over.
STALE_AFTER = timedelta(seconds=60)


def order_checkout(*, user_id: int, caller: Caller, on_saved: Callable[[Order], None] = lambda order: None) -> Order:
    """3.1: the user's cart becomes an order, or nothing changes anywhere. `on_saved`
    runs inside the order's transaction (the view keeps its Idempotency-Key's answer
    there, so a crash right after the commit still replays the order)."""
    if not caller.is_privileged and caller.user_id != user_id:
        raise PermissionDenied("You can only check out your own cart.")
    if settings.CHECKOUT_REQUIRES_VERIFIED_EMAIL and not caller.is_privileged and not caller.email_verified:
        raise EmailNotVerified(
            "Verify your email before ordering: follow the link we sent (POST /api/auth/verify-email/resend/ "
            "sends a new one), then refresh your token."
        )
    _checkout_lock_acquire(user_id=user_id)
    try:
        return _checkout(user_id=user_id, caller=caller, on_saved=on_saved)
    finally:
        _checkout_lock_release(user_id=user_id)


def _checkout(*, user_id: int, caller: Caller, on_saved: Callable[[Order], None]) -> Order:
    cart_key = f"cart:{user_id}"
    # The last order's cart may still wait to be cleared: ordering it again would
    # make a second order of the same lines.
    if undelivered(key=cart_key) and not deliver_pending(key=cart_key):
        raise ServiceUnavailable(
            carts.SERVICE, "The cart of your last order is not cleared yet; the cart service is unavailable."
        )
    cart = carts.cart_get(user_id=user_id)
    _check_orderable(cart)
    reference = f"order-{uuid.uuid4().hex}"
    items = [inventory.ReservationItem(product_id=line.product_id, quantity=line.quantity) for line in cart.lines]
    # Committed before inventory hears of the reference: if this process dies from
    # here until the order is saved, the sweep finds it and releases the stock.
    insert([ReservationIntent(reference=reference, user_id=user_id, created_at=timezone.now())])
    try:
        inventory.stock_reserve(reference=reference, items=items)
        order, calls = _order_save(user_id=user_id, caller=caller, cart=cart, reference=reference, on_saved=on_saved)
    except Conflict:  # not enough stock: nothing was reserved
        _row_delete(ReservationIntent, reference)
        raise
    except DatabaseError:
        logger.exception("checkout of user %s: saving the order failed; releasing %s", user_id, reference)
        _reservation_abandon(reference=reference)
        raise DatabaseUnavailable("The order could not be saved; nothing was ordered. Try again.") from None
    except BaseException:
        # A timeout may hide a reservation that was made: release the reference,
        # which also makes inventory refuse it if it only arrives late.
        _reservation_abandon(reference=reference)
        raise
    # The hold stops expiring once inventory hears the order exists. The cart is
    # cleared still under the lock, so the next checkout finds it empty. A peer
    # that is down now gets either call later from the dispatcher.
    try:
        for call in calls:
            deliver_now(call)
    except DatabaseError:  # the order is saved: the dispatcher makes the calls
        logger.exception("checkout of user %s: could not record the calls after the order", user_id)
    return order


def _check_orderable(cart: carts.Cart) -> None:
    if not cart.lines:
        raise Conflict("The cart is empty.", code=OrderErrorCode.CART_EMPTY)
    if not cart.details_available or any(line.title is None or line.unit_price is None for line in cart.lines):
        raise ServiceUnavailable("book", "Book details are unavailable, so the cart cannot be priced; try again.")
    if gone := [line.product_id for line in cart.lines if line.available is False]:
        raise Conflict(
            "Some books in the cart are no longer sold; remove them first.",
            code=OrderErrorCode.PRODUCT_UNAVAILABLE,
            details={"product_ids": gone},
        )
    # Every line is priced by now (checked above): the casts say so to mypy.
    total = sum((cast(Decimal, line.unit_price) * line.quantity for line in cart.lines), Decimal("0.00"))
    check_total(total, what="this cart's", code=OrderErrorCode.ORDER_TOTAL_TOO_LARGE)


@transaction.atomic
def _order_save(
    *, user_id: int, caller: Caller, cart: carts.Cart, reference: str, on_saved: Callable[[Order], None]
) -> tuple[Order, tuple[ScheduledCall, ScheduledCall]]:
    """The order and everything that must come with it; (order, (hold confirmation, cart clearing))."""
    # The intent ends with the order. Gone already: this checkout took so long that the
    # sweep released its stock, so it must not make an order.
    if not _row_delete(ReservationIntent, reference):
        raise ServiceUnavailable("order", "The checkout took too long and was undone; nothing was ordered. Try again.")
    now = timezone.now()
    lines = [
        OrderLine(  # the lines were priced by _check_orderable: the casts say so to mypy
            product_id=line.product_id,
            title=cast(str, line.title),
            unit_price=cast(Decimal, line.unit_price),
            quantity=line.quantity,
            line_total=cast(Decimal, line.unit_price) * line.quantity,
        )
        for line in cart.lines
    ]
    # Written by statements made once per process (common.statements.insert), as
    # save() and bulk_create() write them: those build each INSERT anew every time.
    order = Order(
        user_id=user_id,
        total=sum((line.line_total for line in lines), Decimal("0.00")),
        reservation_reference=reference,
        payment_due_at=now + timedelta(minutes=settings.ORDER_PAYMENT_MINUTES),
    )
    insert([order])
    for line in lines:
        line.order = order
    insert(lines)
    first_change = OrderStatusChange(
        order=order,
        from_status="",
        to_status=OrderStatus.PENDING,
        changed_by_user_id=caller.user_id,
        changed_by=caller.label,
    )
    insert([first_change])
    publish(
        "order.created",
        {
            "order_id": order.pk,
            "user_id": user_id,
            "status": order.status,
            "total": str(order.total),
            "lines": [
                {
                    "product_id": line.product_id,
                    "title": line.title,
                    "unit_price": str(line.unit_price),
                    "quantity": line.quantity,
                    "line_total": str(line.line_total),
                }
                for line in lines
            ],
            "created_at": first_change.changed_at.isoformat(),
        },
        key=f"order:{order.pk}",
    )
    cart_clear = schedule_call(
        name="cart.clear",
        service=carts.SERVICE,
        method="DELETE",
        path=carts.cart_items_path(user_id),
        payload={"user_id": user_id, "order_id": order.pk},
        key=f"cart:{user_id}",
    )
    hold_confirm = schedule_call(
        name="stock.confirm",
        service=inventory.SERVICE,
        method="POST",
        path=inventory.reservation_confirm_path(reference),
        payload={"order_id": order.pk},
        key=f"reservation:{reference}",
    )
    # The answer shows what was just written, without reading it back.
    order_details_attach(order, lines=lines, history=[first_change])
    on_saved(order)
    return order, (hold_confirm, cart_clear)


def _reservation_abandon(*, reference: str) -> None:
    """Give a checkout's reserved stock back and end its intent: at once if inventory
    answers, else through the outbox. If even that cannot be written, the intent stays
    and the sweep does it later."""
    try:
        inventory.stock_release(reference=reference)
        _row_delete(ReservationIntent, reference)
        return
    except DependencyError:
        pass
    except DatabaseError:
        logger.exception("reservation %s was released but its intent stays; the sweep ends it", reference)
        return
    try:
        with transaction.atomic():
            release_scheduled(reference=reference, try_now=False)  # inventory just failed: the backoff decides
            _row_delete(ReservationIntent, reference)
    except DatabaseError:  # both inventory and our database are failing: the sweep retries
        logger.exception("reservation %s could not be released nor scheduled; the sweep retries", reference)


def reservation_intents_abandon(*, limit: int = 100) -> int:
    """The sweep: the reservations of checkouts that died or gave up (intents older than
    CHECKOUT_ABANDONED_SECONDS, whose order was never saved) are released; how many."""
    before = timezone.now() - timedelta(seconds=settings.CHECKOUT_ABANDONED_SECONDS)
    stale = ReservationIntent.objects.filter(created_at__lt=before).order_by("created_at")
    released = 0
    for reference in stale.values_list("reference", flat=True)[:limit]:
        with transaction.atomic():
            # Deleting is the claim: a checkout saving its order meanwhile finds the
            # intent gone and gives up; of two sweeps, one deletes it.
            if not _row_delete(ReservationIntent, reference):
                continue
            release = release_scheduled(reference=reference)
        logger.warning("checkout reservation %s was abandoned: releasing it", reference)
        deliver_now(release)
        released += 1
    return released


def _checkout_lock_acquire(*, user_id: int) -> None:
    now = timezone.now()
    if create_unless_present(CheckoutLock, unique=("user_id",), user_id=user_id, acquired_at=now):
        return
    # Held: by a checkout under way, or by one whose process died. A stale lock is
    # taken over; of two takers the second finds it fresh again.
    if not CheckoutLock.objects.filter(user_id=user_id, acquired_at__lt=now - STALE_AFTER).update(acquired_at=now):
        raise Conflict("Another checkout of this cart is under way.", code=OrderErrorCode.CHECKOUT_IN_PROGRESS)


def _checkout_lock_release(*, user_id: int) -> None:
    _row_delete(CheckoutLock, user_id)


def _row_delete(model: type[CheckoutLock] | type[ReservationIntent], key: int | str) -> int:
    """Delete the row of `model` whose primary key is `key` with one DELETE; how many
    went (0 or 1). delete() collects the rows first and, outside a transaction, opens one
    around the statement (BEGIN, COMMIT), and a queryset's DELETE is compiled anew on
    each call: a lock or an intent has no relations, cascades or signals that would
    need either, and the statement differs only in the key."""
    with connection.cursor() as cursor:
        cursor.execute(_delete_by_key(model), [model._meta.pk.get_db_prep_value(key, connection)])
        return cursor.rowcount


@functools.cache
def _delete_by_key(model: type[CheckoutLock] | type[ReservationIntent]) -> str:
    return f"DELETE FROM {quoted_table(model)} WHERE {quoted_column(model, model._meta.pk.name)} = %s"  # noqa: S608 (names from the model)
