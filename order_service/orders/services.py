"""Writes to orders: checkout (3.1), status changes (3.2), payments taking an order,
and the sweeps that end what nobody finishes.

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

A payment takes an order with one conditional update (order_payment_accept): it
succeeds only while the order is pending and untaken, under the same row lock as a
cancel and the expiry, so of a payment and a cancel exactly one wins.
"""

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from rest_framework.exceptions import NotFound, PermissionDenied

from common.db import create_unless_present
from common.errors import Conflict, DependencyError, ServiceUnavailable
from common.money import MAX_ORDER_TOTAL
from common.outbox.dispatcher import deliver_now, deliver_pending, undelivered
from common.outbox.publisher import ScheduledCall, publish, schedule_call
from orders.clients import carts, inventory
from orders.errors import DatabaseUnavailable, OrderErrorCode, UnprocessableEntity
from orders.models import (
    CheckoutLock,
    IdempotencyKey,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    PaymentMethod,
    ReservationIntent,
)

logger = logging.getLogger(__name__)

# A checkout lock or an unfinished idempotency key older than this belongs to a
# checkout whose process died: the next checkout takes it over.
STALE_AFTER = timedelta(seconds=60)
# How long a replay waits for the first request with its Idempotency-Key to finish.
IDEMPOTENCY_WAIT_SECONDS = 10.0

ALLOWED_MOVES: dict[str, tuple[str, ...]] = {
    OrderStatus.PENDING: (OrderStatus.PAID, OrderStatus.CANCELLED),
    OrderStatus.PAID: (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
    OrderStatus.SHIPPED: (OrderStatus.DELIVERED,),
    OrderStatus.DELIVERED: (),
    OrderStatus.CANCELLED: (),
}


@dataclass(frozen=True)
class Actor:
    """Who is acting, from the token: a customer, staff, or another service."""

    user_id: int | None
    is_staff: bool = False
    service: str | None = None

    @classmethod
    def of(cls, user) -> "Actor":
        service = getattr(user, "service", None)
        return cls(user_id=None if service else int(user.id), is_staff=bool(user.is_staff), service=service)

    @property
    def is_privileged(self) -> bool:
        return self.is_staff or self.service is not None

    @property
    def label(self) -> str:
        if self.service:
            return f"service {self.service}"
        return f"{'staff' if self.is_staff else 'user'} {self.user_id}"

    @property
    def caller(self) -> str:
        return f"service:{self.service}" if self.service else f"user:{self.user_id}"


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    created: bool  # False: a replay of an earlier request with the same Idempotency-Key


def request_fingerprint(body) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def order_checkout(
    *, user_id: int, actor: Actor, idempotency_key: str | None = None, fingerprint: str = ""
) -> CheckoutResult:
    """3.1: the user's cart becomes an order, or nothing changes anywhere."""
    if not actor.is_privileged and actor.user_id != user_id:
        raise PermissionDenied("You can only check out your own cart.")
    claim = None
    if idempotency_key is not None:
        claim = _idempotency_claim(caller=actor.caller, key=idempotency_key, fingerprint=fingerprint)
        if claim.order_id is not None:
            return CheckoutResult(order=claim.order, created=False)
    try:
        order = _checkout(user_id=user_id, actor=actor, claim=claim)
    except BaseException:
        if claim is not None:  # nothing was made: the same key may be tried again
            IdempotencyKey.objects.filter(pk=claim.pk, order__isnull=True).delete()
        raise
    return CheckoutResult(order=order, created=True)


def _checkout(*, user_id: int, actor: Actor, claim: IdempotencyKey | None) -> Order:
    _checkout_lock_acquire(user_id=user_id)
    try:
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
        ReservationIntent.objects.create(reference=reference, user_id=user_id, created_at=timezone.now())
        try:
            inventory.stock_reserve(reference=reference, items=items)
            order, calls = _order_save(user_id=user_id, actor=actor, cart=cart, reference=reference, claim=claim)
        except Conflict:  # not enough stock: nothing was reserved
            ReservationIntent.objects.filter(reference=reference).delete()
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
    finally:
        _checkout_lock_release(user_id=user_id)
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
    total = sum((line.unit_price * line.quantity for line in cart.lines), Decimal("0.00"))
    if total > MAX_ORDER_TOTAL:
        raise Conflict(
            f"An order's total may be at most {MAX_ORDER_TOTAL}; this cart's is {total}.",
            code=OrderErrorCode.ORDER_TOTAL_TOO_LARGE,
            details={"total": str(total), "max_total": str(MAX_ORDER_TOTAL)},
        )


@transaction.atomic
def _order_save(
    *, user_id: int, actor: Actor, cart: carts.Cart, reference: str, claim: IdempotencyKey | None
) -> tuple[Order, tuple[ScheduledCall, ScheduledCall]]:
    """The order and everything that must come with it; (order, (hold confirmation, cart clearing))."""
    # The intent ends with the order. Gone already: this checkout took so long that the
    # sweep released its stock, so it must not make an order.
    if not ReservationIntent.objects.filter(reference=reference).delete()[0]:
        raise ServiceUnavailable("order", "The checkout took too long and was undone; nothing was ordered. Try again.")
    now = timezone.now()
    lines = [
        OrderLine(
            product_id=line.product_id,
            title=line.title,
            unit_price=line.unit_price,
            quantity=line.quantity,
            line_total=line.unit_price * line.quantity,
        )
        for line in cart.lines
    ]
    order = Order.objects.create(
        user_id=user_id,
        total=sum((line.line_total for line in lines), Decimal("0.00")),
        reservation_reference=reference,
        payment_due_at=now + timedelta(minutes=settings.ORDER_PAYMENT_MINUTES),
    )
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    first_change = OrderStatusChange.objects.create(
        order=order,
        from_status="",
        to_status=OrderStatus.PENDING,
        changed_by_user_id=actor.user_id,
        changed_by=actor.label,
    )
    if claim is not None:
        IdempotencyKey.objects.filter(pk=claim.pk).update(order=order)
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
    order._prefetched_objects_cache = {"lines": lines, "history": [first_change]}
    return order, (hold_confirm, cart_clear)


def _reservation_abandon(*, reference: str) -> None:
    """Give a checkout's reserved stock back and end its intent: at once if inventory
    answers, else through the outbox. If even that cannot be written, the intent stays
    and the sweep does it later."""
    try:
        inventory.stock_release(reference=reference)
        ReservationIntent.objects.filter(reference=reference).delete()
        return
    except DependencyError:
        pass
    except DatabaseError:
        logger.exception("reservation %s was released but its intent stays; the sweep ends it", reference)
        return
    try:
        with transaction.atomic():
            _release_scheduled(reference=reference, try_now=False)  # inventory just failed: the backoff decides
            ReservationIntent.objects.filter(reference=reference).delete()
    except DatabaseError:  # both inventory and our database are failing: the sweep retries
        logger.exception("reservation %s could not be released nor scheduled; the sweep retries", reference)


def _release_scheduled(*, reference: str, try_now: bool = True, order_id: int | None = None) -> ScheduledCall:
    return schedule_call(
        name="stock.release",
        service=inventory.SERVICE,
        method="DELETE",
        path=inventory.reservation_path(reference),
        payload={"order_id": order_id} if order_id else None,
        key=f"reservation:{reference}",
        try_now=try_now,
    )


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
            if not ReservationIntent.objects.filter(reference=reference).delete()[0]:
                continue
            release = _release_scheduled(reference=reference)
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
    CheckoutLock.objects.filter(user_id=user_id).delete()


def _idempotency_claim(*, caller: str, key: str, fingerprint: str) -> IdempotencyKey:
    """The key's row: finished (order set) for a replay, or newly claimed by this request.
    A concurrent first request with the same key is waited for."""
    deadline = time.monotonic() + IDEMPOTENCY_WAIT_SECONDS
    while True:
        # A new key is the common case: claim it in one statement. None: used before, or
        # being used by a request under way.
        claimed = create_unless_present(
            IdempotencyKey,
            unique=("caller", "key"),
            caller=caller,
            key=key,
            fingerprint=fingerprint,
            created_at=timezone.now(),
        )
        if claimed is not None:
            return claimed
        existing = IdempotencyKey.objects.filter(caller=caller, key=key).select_related("order").first()
        if existing is None:  # its first request failed and let it go meanwhile: claim it again
            continue
        if existing.fingerprint != fingerprint:
            raise UnprocessableEntity(
                "This Idempotency-Key was used with a different request body.",
                code=OrderErrorCode.IDEMPOTENCY_KEY_REUSED,
            )
        if existing.order_id is not None:
            return existing
        now = timezone.now()
        stale = existing.created_at < now - STALE_AFTER
        if stale and IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).update(
            created_at=now
        ):
            return existing
        if time.monotonic() > deadline:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                code=OrderErrorCode.IDEMPOTENCY_KEY_IN_USE,
            )
        time.sleep(0.1)


def order_status_change(*, order_id: int, to_status: str, actor: Actor) -> Order:
    """3.2: move an order along its life. Cancelling gives the stock back, at once if
    inventory answers, else through the outbox."""
    order, release = _order_status_save(order_id=order_id, to_status=to_status, actor=actor)
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
    retries after a crash and reads the outcome from it); anything else is a 409."""
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound(f"There is no order {order_id}.")
    if order.payment_id == payment_id:
        return order
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
    order.save(update_fields=["payment_id", "payment_due_at", "cash_on_delivery", "updated_at"])
    if method == PaymentMethod.CARD:
        _order_move(order, to_status=OrderStatus.PAID, actor=Actor(user_id=None, service=by_service))
    return order


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
            actor=Actor(user_id=None, service=by_service),
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
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    # Checked again under the lock: paid, taken or cancelled meanwhile, it stays.
    if order is None or order.status != OrderStatus.PENDING or order.payment_id is not None:
        return None
    if order.payment_due_at is None or order.payment_due_at >= timezone.now():
        return None
    logger.info("order %s was not paid by %s: cancelling it", order_id, order.payment_due_at.isoformat())
    actor = Actor(user_id=None, service="order")
    return _order_move(order, to_status=OrderStatus.CANCELLED, actor=actor, reason="payment_expired")


def allowed_moves(order: Order) -> tuple[str, ...]:
    """Where the order may go from its status: a cash-on-delivery order ships unpaid."""
    if order.status == OrderStatus.PENDING and order.cash_on_delivery:
        return (OrderStatus.SHIPPED, OrderStatus.CANCELLED)
    return ALLOWED_MOVES[order.status]


@transaction.atomic
def _order_status_save(
    *, order_id: int, to_status: str, actor: Actor, reason: str = ""
) -> tuple[Order, ScheduledCall | None]:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound(f"There is no order {order_id}.")
    if not actor.is_privileged and order.user_id != actor.user_id:
        raise PermissionDenied("This order belongs to another user.")
    # Who may ask comes before whether the move is legal: a customer learns nothing
    # from a 409 about a move that only staff may make.
    if not actor.is_privileged and to_status != OrderStatus.CANCELLED:
        raise PermissionDenied("A customer may only cancel their own pending order.")
    allowed = allowed_moves(order)
    if to_status not in allowed:
        moves = ", ".join(allowed) or "none"
        raise Conflict(
            f"An order that is {order.status} cannot become {to_status}; allowed: {moves}.",
            code=OrderErrorCode.ILLEGAL_STATUS_CHANGE,
            details={"status": order.status, "allowed": list(allowed)},
        )
    if not actor.is_privileged and not (order.status == OrderStatus.PENDING and to_status == OrderStatus.CANCELLED):
        raise PermissionDenied("A customer may only cancel their own pending order.")
    return order, _order_move(order, to_status=to_status, actor=actor, reason=reason)


def _order_move(order: Order, *, to_status: str, actor: Actor, reason: str = "") -> ScheduledCall | None:
    """Inside the transaction holding the order's lock: the new status, its history row
    and event; for a cancel, the stock release (returned, for the caller to make after
    the commit). A paid order's refund follows from the event (payment_service)."""
    from_status = order.status
    order.status = to_status
    order.save(update_fields=["status", "updated_at"])
    change = OrderStatusChange.objects.create(
        order=order,
        from_status=from_status,
        to_status=to_status,
        changed_by_user_id=actor.user_id,
        changed_by=actor.label,
        reason=reason,
    )
    publish(
        "order.status_changed",
        {
            "order_id": order.pk,
            "user_id": order.user_id,
            "from_status": from_status,
            "to_status": to_status,
            "changed_at": change.changed_at.isoformat(),
            "changed_by": actor.label,
            "reason": reason,
            "payment_id": order.payment_id,
            "total": str(order.total),
        },
        key=f"order:{order.pk}",
    )
    if to_status != OrderStatus.CANCELLED:
        return None
    return _release_scheduled(reference=order.reservation_reference, order_id=order.pk)
