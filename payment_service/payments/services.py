"""Writes to payments: paying for an order, refunding it, and finishing what a crash
interrupted.

A card is paid in steps, none of them inside a database transaction that waits on
another party: open the payment (where the one-live-payment-per-order constraint
decides races), authorize the card (nothing is taken yet), ask order_service to take
the order for this payment (one conditional update there, under the same lock as a
cancel and the expiry), then capture if it did, or void if it did not. So a card is
never charged for an order that ends cancelled by a race: whichever of the payment
and the cancel comes second loses, and a payment that loses takes nothing. A paid order
cancelled later is refunded by itself (order.status_changed, below).

Each step records its outcome with its transaction row and event. A payment left
half-way by a crash (processing, authorized, refunding) is finished by the recovery
sweep after PAYMENT_RECOVERY_SECONDS: every provider call names the payment by its
reference, so repeating one does not act twice.
"""

import contextlib
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from common.auth import Caller
from common.background import run_in_background
from common.errors import Conflict, DependencyError, NotFound, ServiceUnavailable
from common.outbox.publisher import publish
from common.statements import insert
from payments import statements
from payments.cards import Card
from payments.clients import orders
from payments.errors import PaymentErrorCode
from payments.models import (
    IN_FLIGHT_STATUSES,
    LIVE_STATUSES,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PaymentTransaction,
    TransactionKind,
    TransactionStatus,
)
from payments.providers import ProviderError, ProviderResult, get_provider

logger = logging.getLogger(__name__)

PROVIDER_SERVICE = "payment_provider"  # how a provider outage is named in a 503's details.service
PAYABLE_ORDER_STATUS = "pending"
CANCELLED_ORDER_STATUS = "cancelled"
DELIVERED_ORDER_STATUS = "delivered"


def _provider_call(call, what: str) -> ProviderResult:
    """A provider call whose failure to answer is a result (processing_error), not an exception."""
    try:
        return call()
    except ProviderError as exc:
        logger.warning("%s: the provider failed: %s", what, exc)
        return ProviderResult(succeeded=False, failure_code="processing_error", failure_message=str(exc)[:300])


def payment_create(*, order_id: int, method: str, card: Card | None, caller: Caller) -> Payment:
    """6: pay for a pending order of the caller (staff: any) by card or cash on delivery.
    The amount is the order's total as order_service has it. The payment is returned as
    this request's last step wrote or read it, transactions aside: the answer is made
    from it without reading it again."""
    order = orders.order_get(order_id=order_id)
    if order is None or not caller.may_see(order.user_id):  # someone else's order is not there for them
        raise ValidationError({"order_id": [f"There is no order {order_id}."]})
    if order.status != PAYABLE_ORDER_STATUS:
        raise _not_payable(order.status)
    created_by = caller.label
    payment = _payment_open(order=order, method=method, card=card, created_by=created_by)
    if method == PaymentMethod.CARD:
        result = _provider_call(
            # A card payment has its card (PaymentCreateSerializer).
            lambda: get_provider().authorize(amount=payment.amount, card=cast(Card, card), reference=payment.reference),
            f"payment {payment.pk}",
        )
        payment = _authorization_settle(payment, result=result, created_by=created_by)
        if payment.status != PaymentStatus.AUTHORIZED:
            return payment
    payment = _payment_complete(payment, created_by=created_by)
    if payment.status == PaymentStatus.FAILED and payment.failure_code == PaymentErrorCode.ORDER_NOT_PAYABLE:
        raise _not_payable(payment.failure_message, payment_id=payment.pk)
    return payment


def _not_payable(order_status: str, *, payment_id: int | None = None) -> Conflict:
    details = {"order_status": order_status} | ({"payment_id": payment_id} if payment_id else {})
    return Conflict(
        f"Only a pending order can be paid; this one is {order_status}.",
        code=PaymentErrorCode.ORDER_NOT_PAYABLE,
        details=details,
    )


def _already_paying(live: Payment) -> Conflict:
    if live.status in (PaymentStatus.PROCESSING, PaymentStatus.AUTHORIZED, PaymentStatus.PENDING):
        message = f"Payment {live.pk} of this order is {live.status}; it cannot be paid twice."
        code = PaymentErrorCode.PAYMENT_IN_PROGRESS
    else:
        message = f"This order is already paid (payment {live.pk}, {live.status})."
        code = PaymentErrorCode.ORDER_ALREADY_PAID
    return Conflict(message, code=code, details={"payment_id": live.pk, "status": live.status})


def _payment_open(*, order: orders.OrderSummary, method: str, card: Card | None, created_by: str) -> Payment:
    cod = method == PaymentMethod.COD
    try:
        # One INSERT, committed by itself before the provider is called. The partial
        # unique constraint on live payments decides between it and any other live
        # payment of the order, two first payments racing included (PostgreSQL makes the
        # loser's insert wait for the winner's commit; SQLite serializes them): looking
        # for a live payment first would only ask the database twice.
        with _alone_or_in_savepoint():
            payment = Payment(
                order_id=order.id,
                user_id=order.user_id,
                amount=order.total,
                method=method,
                status=PaymentStatus.PROCESSING,
                card_brand="" if cod else cast(Card, card).brand,  # a card payment has its card
                card_last4="" if cod else cast(Card, card).last4,
                provider="" if cod else get_provider().name,
            )
            insert([payment])  # as create() writes it, by a statement made once per process
    except IntegrityError:
        if live := Payment.objects.filter(order_id=order.id, status__in=LIVE_STATUSES).first():
            raise _already_paying(live) from None
        raise Conflict(  # the winner has failed since: this order may be paid again
            "Another payment of this order was under way; try again.", code=PaymentErrorCode.PAYMENT_IN_PROGRESS
        ) from None
    _transactions_kept(payment)
    return payment


def _transactions_kept(payment: Payment) -> None:
    """`payment`, opened by this request and so without transactions, answers
    payment.transactions.all() with the rows this request records on it (_record), as
    if prefetched: its answer needs no read. An instance read again (by another step,
    the sweep) has no such list and is read as usual."""
    payment._prefetched_objects_cache = {"transactions": []}  # type: ignore[attr-defined]  # Django's, private


@contextlib.contextmanager
def _alone_or_in_savepoint() -> Iterator[None]:
    """Around one statement that may fail: outside a transaction it is a transaction of
    its own, which its failure ends; inside one (a caller's, a test's), a savepoint keeps
    that transaction usable after the failure."""
    if transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            yield
    else:
        yield


def _event_payload(payment: Payment) -> dict:
    return {
        "payment_id": payment.pk,
        "order_id": payment.order_id,
        "user_id": payment.user_id,
        "amount": str(payment.amount),
        "method": payment.method,
        "status": payment.status,
    }


def _record(payment: Payment, kind: str, result: ProviderResult | None, created_by: str, **fields) -> None:
    if result is not None:
        fields |= {
            "status": TransactionStatus.SUCCEEDED if result.succeeded else TransactionStatus.FAILED,
            "provider_reference": result.reference,
            "failure_code": result.failure_code,
            "failure_message": result.failure_message,
        }
    row = PaymentTransaction(payment=payment, kind=kind, amount=payment.amount, created_by=created_by, **fields)
    insert([row])  # as create() writes it, by a statement made once per process
    kept = getattr(payment, "_prefetched_objects_cache", {}).get("transactions")
    if isinstance(kept, list):  # _transactions_kept's
        kept.append(row)


def _fail(payment: Payment, *, code: str, message: str) -> None:
    payment.status = PaymentStatus.FAILED
    payment.failure_code = code
    payment.failure_message = message[:300]
    payment.save(update_fields=["status", "failure_code", "failure_message", "updated_at"])
    _failed_publish(payment)


def _failed_publish(payment: Payment) -> None:
    publish(
        "payment.failed",
        {**_event_payload(payment), "failure_code": payment.failure_code, "failure_message": payment.failure_message},
        key=f"order:{payment.order_id}",
    )


def _locked(payment_id: int, *, expected: tuple[str, ...]) -> Payment | None:
    """The payment, locked, if it is still in one of the `expected` states: whoever
    comes second (the request or the recovery sweep) finds it moved on and does nothing."""
    return Payment.objects.select_for_update().filter(pk=payment_id, status__in=expected).first()


def _moved(payment: Payment, *, expected: tuple[str, ...], unless_cancelled: bool = False, **changes) -> bool:
    """Write `changes` to the payment in hand if it is still in one of the `expected`
    states (and, `unless_cancelled`, its order was not cancelled meanwhile), by one
    UPDATE that takes the row's lock and decides as _locked's read would: whoever comes
    second (the request or the recovery sweep) changes nothing. True if it moved; the
    payment in hand then holds the changes."""
    changes["updated_at"] = timezone.now()
    if not statements.payment_update_if(
        payment.pk, expected=expected, unless_cancelled=unless_cancelled, changes=changes
    ):
        return False
    for field, value in changes.items():
        setattr(payment, field, value)
    return True


@transaction.atomic
def _authorization_settle(payment: Payment, *, result: ProviderResult, created_by: str) -> Payment:
    """`payment` as opened by this request. Only a cancel of its order can have changed it
    since (order_cancelled, which the capture reads again)."""
    if result.succeeded:
        moved = _moved(
            payment,
            expected=(PaymentStatus.PROCESSING,),
            status=PaymentStatus.AUTHORIZED,
            provider_reference=result.reference,
        )
    else:
        moved = _moved(
            payment,
            expected=(PaymentStatus.PROCESSING,),
            status=PaymentStatus.FAILED,
            failure_code=result.failure_code,
            failure_message=result.failure_message[:300],
        )
    if not moved:  # the recovery sweep gave up on it meanwhile (and voided it)
        reference = payment.reference
        transaction.on_commit(lambda: _void_quietly(reference))
        return Payment.objects.get(pk=payment.pk)
    _record(payment, TransactionKind.AUTHORIZATION, result, created_by)
    if not result.succeeded:
        _failed_publish(payment)
    return payment


def _void_quietly(reference: str) -> None:
    result = _provider_call(lambda: get_provider().void(reference=reference), f"void of {reference}")
    if not result.succeeded:
        logger.error("%s could not be voided: %s", reference, result.failure_message)


def _payment_complete(payment: Payment, *, created_by: str) -> Payment:
    """An authorized card payment, or an opened cash payment: ask order_service to take
    the order, then capture (card) or register the cash, or give up (void) if the order
    cannot be taken. If order_service cannot be reached, the payment stays as it is and
    the recovery sweep asks again."""
    try:
        order = orders.order_take(order_id=payment.order_id, payment_id=payment.pk, method=payment.method)
    except orders.OrderNotPayable as refused:
        return _payment_give_up(payment.pk, order_status=refused.status or "gone", created_by=created_by)
    except DependencyError as exc:
        logger.warning("payment %s: order_service could not take order %s: %s", payment.pk, payment.order_id, exc)
        return Payment.objects.get(pk=payment.pk)  # as it is now: an event may have changed it meanwhile
    if order.status == CANCELLED_ORDER_STATUS:  # taken by this payment, then cancelled before the capture
        return _payment_give_up(payment.pk, order_status=order.status, created_by=created_by)
    if payment.method == PaymentMethod.COD:
        return _cash_registered(payment.pk, created_by=created_by)
    if statements.payment_order_cancelled(payment.pk):  # cancelled since: take nothing
        return _payment_give_up(payment.pk, order_status=CANCELLED_ORDER_STATUS, created_by=created_by)
    result = _provider_call(lambda: get_provider().capture(reference=payment.reference), f"capture of {payment}")
    if not result.succeeded:  # the order is paid: keep trying to capture (recovery sweep)
        logger.warning("payment %s: capture failed (%s); retried later", payment.pk, result.failure_message)
        return Payment.objects.get(pk=payment.pk)  # as it is now: an event may have changed it meanwhile
    return _capture_settle(payment, result=result, created_by=created_by)


def _payment_give_up(payment_id: int, *, order_status: str, created_by: str) -> Payment:
    """The order could not be taken (or was cancelled before the capture): nothing is
    taken. A card's authorization is voided first, then the payment fails."""
    payment = Payment.objects.get(pk=payment_id)
    result = None
    if payment.method == PaymentMethod.CARD:
        result = _provider_call(lambda: get_provider().void(reference=payment.reference), f"void of {payment}")
        if not result.succeeded:  # still held at the bank: the recovery sweep tries again
            logger.warning("payment %s: void failed (%s); retried later", payment_id, result.failure_message)
            return payment
    return _given_up_settle(payment_id, result=result, order_status=order_status, created_by=created_by)


@transaction.atomic
def _given_up_settle(payment_id: int, *, result: ProviderResult | None, order_status: str, created_by: str) -> Payment:
    payment = _locked(payment_id, expected=(PaymentStatus.PROCESSING, PaymentStatus.AUTHORIZED))
    if payment is None:
        return Payment.objects.get(pk=payment_id)
    kind = TransactionKind.VOID if payment.method == PaymentMethod.CARD else TransactionKind.COD
    if result is None:  # cash: nothing was held, so nothing to void
        _record(payment, kind, None, created_by, status=TransactionStatus.FAILED, failure_code="order_not_payable")
    else:
        _record(payment, kind, result, created_by)
    # The failure message is the order's status, which the API's 409 repeats.
    _fail(payment, code=PaymentErrorCode.ORDER_NOT_PAYABLE, message=order_status)
    return payment


@transaction.atomic
def _capture_settle(payment: Payment, *, result: ProviderResult, created_by: str) -> Payment:
    """`payment` as this request left it authorized: succeeded by one UPDATE if its order
    was not cancelled meanwhile; else, read again under its lock, succeeded and refunded."""
    if not _moved(payment, expected=(PaymentStatus.AUTHORIZED,), unless_cancelled=True, status=PaymentStatus.SUCCEEDED):
        locked = _locked(payment.pk, expected=(PaymentStatus.AUTHORIZED,))
        if locked is None:
            return Payment.objects.get(pk=payment.pk)
        payment = locked  # authorized, and its order cancelled while the capture was under way
        payment.status = PaymentStatus.SUCCEEDED
        payment.save(update_fields=["status", "updated_at"])
    _record(payment, TransactionKind.CHARGE, result, created_by)
    publish("payment.succeeded", _event_payload(payment), key=f"order:{payment.order_id}")
    if payment.order_cancelled:
        _refund_due(payment)
    return payment


@transaction.atomic
def _cash_registered(payment_id: int, *, created_by: str) -> Payment:
    payment = _locked(payment_id, expected=(PaymentStatus.PROCESSING,))
    if payment is None:
        return Payment.objects.get(pk=payment_id)
    if payment.order_cancelled:
        _cash_cancelled(payment, by=created_by)
        return payment
    _record(payment, TransactionKind.COD, None, created_by, status=TransactionStatus.PENDING)
    payment.status = PaymentStatus.PENDING
    payment.save(update_fields=["status", "updated_at"])
    return payment


def _cash_cancelled(payment: Payment, *, by: str) -> None:
    _record(payment, TransactionKind.COD, None, by, status=TransactionStatus.FAILED, failure_code="order_cancelled")
    payment.status = PaymentStatus.CANCELLED
    payment.save(update_fields=["status", "updated_at"])


# Refunds


def payment_refund(*, payment_id: int, caller: Caller) -> Payment:
    """Give a succeeded payment's money back (staff). order_service hears payment.refunded
    and cancels the order, which returns its stock. If the provider fails, the payment
    stays succeeded and the refund can be asked again."""
    payment = _refund_start(payment_id=payment_id)
    payment, result = _refund_perform(payment, created_by=caller.label, keep_trying=False)
    if not result.succeeded:
        if result.failure_code == "processing_error":
            raise ServiceUnavailable(
                PROVIDER_SERVICE, f"The payment provider failed the refund: {result.failure_message}"
            )
        raise Conflict(
            f"The payment provider refused the refund: {result.failure_message}",
            code=PaymentErrorCode.PAYMENT_NOT_REFUNDABLE,
            details={"provider_code": result.failure_code},
        )
    return payment


@transaction.atomic
def _refund_start(*, payment_id: int) -> Payment:
    payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
    if payment is None:
        raise NotFound(f"There is no payment {payment_id}.")
    if payment.status != PaymentStatus.SUCCEEDED:
        raise Conflict(
            f"Only a succeeded payment can be refunded; this one is {payment.status}.",
            code=PaymentErrorCode.PAYMENT_NOT_REFUNDABLE,
            details={"status": payment.status},
        )
    payment.status = PaymentStatus.REFUNDING  # a second refund meanwhile is refused
    payment.save(update_fields=["status", "updated_at"])
    return payment


def _refund_perform(payment: Payment, *, created_by: str, keep_trying: bool) -> tuple[Payment, ProviderResult]:
    """Ask the provider to refund a refunding payment and record the outcome. A failed
    refund leaves the payment refunding for the recovery sweep when `keep_trying` (a
    refund nobody waits for must happen), else succeeded again."""
    if payment.method == PaymentMethod.CARD:
        result = _provider_call(
            lambda: get_provider().refund(reference=payment.reference, amount=payment.amount), f"refund of {payment}"
        )
    else:  # cash is handed back by hand
        result = ProviderResult(succeeded=True)
    return _refund_settle(payment.pk, result=result, created_by=created_by, keep_trying=keep_trying), result


@transaction.atomic
def _refund_settle(payment_id: int, *, result: ProviderResult, created_by: str, keep_trying: bool) -> Payment:
    payment = _locked(payment_id, expected=(PaymentStatus.REFUNDING,))
    if payment is None:  # settled by the request or the sweep meanwhile
        return Payment.objects.get(pk=payment_id)
    _record(payment, TransactionKind.REFUND, result, created_by)
    if not result.succeeded:
        if not keep_trying:
            payment.status = PaymentStatus.SUCCEEDED  # still paid: the refund can be asked again
        payment.save(update_fields=["status", "updated_at"])
        return payment
    payment.status = PaymentStatus.REFUNDED
    payment.refunded_at = timezone.now()
    payment.save(update_fields=["status", "refunded_at", "updated_at"])
    publish(
        "payment.refunded",
        {**_event_payload(payment), "refunded_at": payment.refunded_at.isoformat()},
        key=f"order:{payment.order_id}",
    )
    return payment


# What an order's life means for its payment (event order.status_changed)


def payment_order_changed(*, order_id: int, to_status: str) -> None:
    """Runs in the event's transaction. A cancelled order's money goes back by itself:
    a captured card is refunded (right after the commit, and by the recovery sweep until
    the provider does it), a cash payment is cancelled, and a payment still under way is
    marked so that it takes nothing (or refunds what it captured meanwhile). A delivered
    cash-on-delivery order's cash is collected."""
    if to_status not in (CANCELLED_ORDER_STATUS, DELIVERED_ORDER_STATUS):
        return
    payment = Payment.objects.select_for_update().filter(order_id=order_id, status__in=LIVE_STATUSES).first()
    if payment is None:
        return
    by = Caller(user_id=None, service="order").label
    if to_status == DELIVERED_ORDER_STATUS:
        if payment.status == PaymentStatus.PENDING:
            _record(payment, TransactionKind.COD, None, by, status=TransactionStatus.SUCCEEDED)
            payment.status = PaymentStatus.SUCCEEDED
            payment.save(update_fields=["status", "updated_at"])
            publish("payment.succeeded", _event_payload(payment), key=f"order:{order_id}")
        return
    payment.order_cancelled = True
    payment.save(update_fields=["order_cancelled", "updated_at"])
    if payment.status == PaymentStatus.PENDING:
        _cash_cancelled(payment, by=by)
    elif payment.status == PaymentStatus.SUCCEEDED:
        _refund_due(payment)


def _refund_due(payment: Payment) -> None:
    """Inside the transaction holding the payment's lock: it is to be refunded, which is
    tried right after the commit and by the recovery sweep until the provider does it."""
    payment.status = PaymentStatus.REFUNDING
    payment.save(update_fields=["status", "updated_at"])
    payment_id = payment.pk
    transaction.on_commit(
        lambda: run_in_background(lambda: _refund_refunding(payment_id), what=f"refund of payment {payment_id}")
    )


def _refund_refunding(payment_id: int) -> None:
    payment = Payment.objects.filter(pk=payment_id, status=PaymentStatus.REFUNDING).first()
    if payment is not None:
        _refund_perform(payment, created_by=Caller.this_service().label, keep_trying=True)


# The recovery sweep


def payments_recover(*, limit: int = 50) -> int:
    """The sweep: payments left processing, authorized or refunding for longer than
    PAYMENT_RECOVERY_SECONDS (a crash, a peer that was down) are finished; how many
    moved on. A card never authorized is failed and any authorization voided; an
    authorized or cash payment asks order_service again and captures or voids; a refund
    is asked of the provider again."""
    before = timezone.now() - timedelta(seconds=settings.PAYMENT_RECOVERY_SECONDS)
    stuck = Payment.objects.filter(status__in=IN_FLIGHT_STATUSES, updated_at__lt=before).order_by("updated_at")
    moved = 0
    for payment in stuck[:limit]:
        left = payment.status  # the payment in hand moves with it
        logger.warning("payment %s was left %s: finishing it", payment.pk, left)
        if _recover(payment).status != left:
            moved += 1
    return moved


def _recover(payment: Payment) -> Payment:
    if payment.status == PaymentStatus.REFUNDING:
        return _refund_perform(payment, created_by=Caller.this_service().label, keep_trying=True)[0]
    if payment.status == PaymentStatus.PROCESSING and payment.method == PaymentMethod.CARD:
        # The process died while the card was being authorized: the card is gone with
        # it, so the payment cannot go on. Whatever the provider may have held is voided.
        result = _provider_call(lambda: get_provider().void(reference=payment.reference), f"void of {payment}")
        if not result.succeeded:
            return payment
        return _interrupted_settle(payment.pk, result=result)
    return _payment_complete(payment, created_by=Caller.this_service().label)


@transaction.atomic
def _interrupted_settle(payment_id: int, *, result: ProviderResult) -> Payment:
    payment = _locked(payment_id, expected=(PaymentStatus.PROCESSING,))
    if payment is None:
        return Payment.objects.get(pk=payment_id)
    _record(payment, TransactionKind.VOID, result, Caller.this_service().label)
    _fail(payment, code="processing_error", message="The payment was interrupted before the card was authorized.")
    return payment


def payments_of_erased_account_anonymise(user_id: int) -> int:
    """account.deleted, in its transaction: the card's brand and last digits leave the
    person's payments; amounts, states and the provider's references stay, for the
    shop's accounts and refunds. How many payments changed."""
    return (
        Payment.objects.filter(user_id=user_id)
        .exclude(card_brand="", card_last4="")
        .update(card_brand="", card_last4="")
    )
