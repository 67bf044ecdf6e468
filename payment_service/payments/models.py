from django.db import models
from django.db.models import Q

from common.models import TimeStampedModel


class PaymentMethod(models.TextChoices):
    CARD = "card"
    COD = "cod"  # cash on delivery


class PaymentStatus(models.TextChoices):
    PROCESSING = "processing"  # opened: the card is being authorized, or the order asked to take a cash payment
    AUTHORIZED = "authorized"  # the card is authorized: the order is asked to take it, then it is captured
    PENDING = "pending"  # cash on delivery: the order took it; nothing to collect until the books arrive
    SUCCEEDED = "succeeded"  # the card was captured (or the cash collected on delivery)
    FAILED = "failed"  # declined, the provider failed, or the order could not be taken (authorization voided)
    CANCELLED = "cancelled"  # cash on delivery whose order was cancelled
    REFUNDING = "refunding"  # a refund is under way with the provider
    REFUNDED = "refunded"


# An order has at most one payment in these states: a failed one can be tried again,
# anything else stands (and a second success is impossible even under races).
LIVE_STATUSES = (
    PaymentStatus.PROCESSING,
    PaymentStatus.AUTHORIZED,
    PaymentStatus.PENDING,
    PaymentStatus.SUCCEEDED,
    PaymentStatus.REFUNDING,
    PaymentStatus.REFUNDED,
)
# Payments a crash may have left half-way; the recovery sweep finishes them.
IN_FLIGHT_STATUSES = (PaymentStatus.PROCESSING, PaymentStatus.AUTHORIZED, PaymentStatus.REFUNDING)


class Payment(TimeStampedModel):
    """One attempt to pay one order. Of a card only the brand and last four digits are
    kept: never the number, never the cvc."""

    order_id = models.BigIntegerField(db_index=True)
    user_id = models.BigIntegerField(db_index=True)  # the order's owner, copied so reads need no order_service
    amount = models.DecimalField(max_digits=14, decimal_places=2)  # the order's total when paid
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, db_index=True)
    failure_code = models.CharField(max_length=50, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    provider = models.CharField(max_length=50, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)  # the provider's id of the charge
    refunded_at = models.DateTimeField(null=True, blank=True)
    # The order was cancelled while this payment was under way: whatever it takes is
    # given back (an authorization voided, a capture refunded, cash cancelled).
    order_cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_id"], condition=Q(status__in=LIVE_STATUSES), name="payment_one_live_per_order"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} of order {self.order_id} ({self.status})"

    @property
    def reference(self) -> str:
        """This payment's name at the provider, and its idempotency key there."""
        return f"payment-{self.pk}"


class TransactionKind(models.TextChoices):
    AUTHORIZATION = "authorization"  # the card's bank holds the amount; no money moved yet
    CHARGE = "charge"  # the authorization captured: the money is taken
    VOID = "void"  # the authorization given up: nothing is taken
    REFUND = "refund"
    COD = "cod"  # a cash-on-delivery payment: registered, collected or cancelled


class TransactionStatus(models.TextChoices):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PENDING = "pending"


class PaymentTransaction(models.Model):
    """One exchange with the provider (or the cash register): the payment's history."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=20, choices=TransactionKind.choices)
    status = models.CharField(max_length=10, choices=TransactionStatus.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    provider_reference = models.CharField(max_length=100, blank=True)
    failure_code = models.CharField(max_length=50, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_by = models.CharField(max_length=150)  # "user 5", "staff 9000"
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} {self.amount}"


class SandboxCharge(TimeStampedModel):
    """The sandbox provider's own books (payments.providers.sandbox): what it authorized,
    captured, voided and refunded, by the payment's reference, as a real provider's
    dashboard would show it. Written by the provider calls alone, in transactions of
    their own, so it tells what the provider did even when this service died before
    recording it; the drills check money against it."""

    class State(models.TextChoices):
        AUTHORIZED = "authorized"
        CAPTURED = "captured"
        VOIDED = "voided"
        REFUNDED = "refunded"

    reference = models.CharField(max_length=100, unique=True)
    provider_reference = models.CharField(max_length=100, unique=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    state = models.CharField(max_length=20, choices=State.choices)
    refund_fails = models.BooleanField(default=False)  # the test card whose refunds fail

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.state} {self.amount}"
