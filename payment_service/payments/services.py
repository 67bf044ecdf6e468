"""Writes to payments: paying for an order and refunding it.

A card charge is a call to the provider, so it is not made inside a database
transaction (that would hold the database for as long as the provider takes). It
runs in three steps: open the payment (one transaction, where the one-live-payment-
per-order constraint decides races), charge, and settle the outcome together with
its transaction row and its event (a second transaction). A refund does the same.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from common.auth import ClaimsUser
from common.errors import Conflict, ServiceUnavailable
from common.outbox.publisher import publish
from common.permissions import is_owner, is_staff_or_service
from payments.cards import Card
from payments.clients import orders
from payments.errors import PaymentErrorCode
from payments.models import (
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


def actor_label(user: ClaimsUser) -> str:
    """Who did it, for the transaction history: "user 5", "staff 9000", "service order"."""
    if service := getattr(user, "service", None):
        return f"service {service}"
    return f"{'staff' if user.is_staff else 'user'} {user.id}"


def payment_create(*, order_id: int, method: str, card: Card | None, user: ClaimsUser) -> Payment:
    """6: pay for a pending order of the caller (staff: any) by card or cash on delivery.
    The amount is the order's total as order_service has it."""
    order = orders.order_get(order_id=order_id)
    if order is None:
        raise ValidationError({"order_id": [f"There is no order {order_id}."]})
    if not (is_staff_or_service(user) or is_owner(user, order.user_id)):
        raise PermissionDenied("This order belongs to another user.")
    if order.status != PAYABLE_ORDER_STATUS:
        raise Conflict(
            f"Only a pending order can be paid; this one is {order.status}.",
            code=PaymentErrorCode.ORDER_NOT_PAYABLE,
            details={"order_status": order.status},
        )
    payment = _payment_open(order=order, method=method, card=card, created_by=actor_label(user))
    if method == PaymentMethod.COD:
        return payment
    provider = get_provider()
    try:
        result = provider.charge(amount=payment.amount, card=card, reference=f"payment-{payment.pk}")
    except ProviderError as exc:
        logger.warning("payment %s: the provider failed: %s", payment.pk, exc)
        result = ProviderResult(succeeded=False, failure_code="processing_error", failure_message=str(exc)[:300])
    return _charge_settle(payment_id=payment.pk, result=result, created_by=actor_label(user))


def _already_paying(live: Payment) -> Conflict:
    if live.status in (PaymentStatus.PROCESSING, PaymentStatus.PENDING):
        message = f"Payment {live.pk} of this order is {live.status}; it cannot be paid twice."
        code = PaymentErrorCode.PAYMENT_IN_PROGRESS
    else:
        message = f"This order is already paid (payment {live.pk}, {live.status})."
        code = PaymentErrorCode.ORDER_ALREADY_PAID
    return Conflict(message, code=code, details={"payment_id": live.pk, "status": live.status})


@transaction.atomic
def _payment_open(*, order: orders.OrderSummary, method: str, card: Card | None, created_by: str) -> Payment:
    live_payments = Payment.objects.filter(order_id=order.id, status__in=LIVE_STATUSES)
    if live := live_payments.first():
        raise _already_paying(live)
    cod = method == PaymentMethod.COD
    try:
        # The partial unique constraint on live payments decides a race between two
        # first payments: the loser's insert fails here (PostgreSQL makes it wait for
        # the winner's commit first; SQLite serializes the transactions).
        with transaction.atomic():
            payment = Payment.objects.create(
                order_id=order.id,
                user_id=order.user_id,
                amount=order.total,
                method=method,
                status=PaymentStatus.PENDING if cod else PaymentStatus.PROCESSING,
                card_brand="" if cod else card.brand,
                card_last4="" if cod else card.last4,
                provider="" if cod else get_provider().name,
            )
    except IntegrityError:
        if live := live_payments.first():
            raise _already_paying(live) from None
        raise Conflict(  # the winner has failed since: this order may be paid again
            "Another payment of this order was under way; try again.", code=PaymentErrorCode.PAYMENT_IN_PROGRESS
        ) from None
    if cod:
        PaymentTransaction.objects.create(
            payment=payment,
            kind=TransactionKind.COD,
            status=TransactionStatus.PENDING,
            amount=payment.amount,
            created_by=created_by,
        )
    return payment


def _event_payload(payment: Payment) -> dict:
    return {
        "payment_id": payment.pk,
        "order_id": payment.order_id,
        "user_id": payment.user_id,
        "amount": str(payment.amount),
        "method": payment.method,
        "status": payment.status,
    }


@transaction.atomic
def _charge_settle(*, payment_id: int, result: ProviderResult, created_by: str) -> Payment:
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    PaymentTransaction.objects.create(
        payment=payment,
        kind=TransactionKind.CHARGE,
        status=TransactionStatus.SUCCEEDED if result.succeeded else TransactionStatus.FAILED,
        amount=payment.amount,
        provider_reference=result.reference,
        failure_code=result.failure_code,
        failure_message=result.failure_message,
        created_by=created_by,
    )
    if result.succeeded:
        payment.status = PaymentStatus.SUCCEEDED
        payment.provider_reference = result.reference
        payment.save(update_fields=["status", "provider_reference", "updated_at"])
        publish("payment.succeeded", _event_payload(payment), key=f"order:{payment.order_id}")
    else:
        payment.status = PaymentStatus.FAILED
        payment.failure_code = result.failure_code
        payment.failure_message = result.failure_message
        payment.save(update_fields=["status", "failure_code", "failure_message", "updated_at"])
        publish(
            "payment.failed",
            {
                **_event_payload(payment),
                "failure_code": payment.failure_code,
                "failure_message": payment.failure_message,
            },
            key=f"order:{payment.order_id}",
        )
    return payment


def payment_refund(*, payment_id: int, user: ClaimsUser) -> Payment:
    """Give a succeeded payment's money back (staff). order_service hears payment.refunded
    and cancels the order, which returns its stock."""
    payment = _refund_start(payment_id=payment_id)
    if payment.method == PaymentMethod.CARD:
        try:
            result = get_provider().refund(
                charge_reference=payment.provider_reference, amount=payment.amount, reference=f"refund-{payment.pk}"
            )
        except ProviderError as exc:
            logger.warning("refund of payment %s: the provider failed: %s", payment.pk, exc)
            result = ProviderResult(succeeded=False, failure_code="processing_error", failure_message=str(exc)[:300])
    else:  # cash is handed back by hand
        result = ProviderResult(succeeded=True)
    payment = _refund_settle(payment_id=payment.pk, result=result, created_by=actor_label(user))
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


@transaction.atomic
def _refund_settle(*, payment_id: int, result: ProviderResult, created_by: str) -> Payment:
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    PaymentTransaction.objects.create(
        payment=payment,
        kind=TransactionKind.REFUND,
        status=TransactionStatus.SUCCEEDED if result.succeeded else TransactionStatus.FAILED,
        amount=payment.amount,
        provider_reference=result.reference,
        failure_code=result.failure_code,
        failure_message=result.failure_message,
        created_by=created_by,
    )
    if not result.succeeded:
        payment.status = PaymentStatus.SUCCEEDED  # still paid: the refund can be tried again
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
