from django.db import models
from django.db.models import Q

from common.models import TimeStampedModel


class PaymentMethod(models.TextChoices):
    CARD = "card"
    COD = "cod"  # cash on delivery


class PaymentStatus(models.TextChoices):
    PROCESSING = "processing"  # a card charge is under way with the provider
    PENDING = "pending"  # cash on delivery: nothing to collect until the books arrive
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDING = "refunding"  # a refund is under way with the provider
    REFUNDED = "refunded"


# An order has at most one payment in these states: a failed one can be tried again,
# anything else stands (and a second success is impossible even under races).
LIVE_STATUSES = (
    PaymentStatus.PROCESSING,
    PaymentStatus.PENDING,
    PaymentStatus.SUCCEEDED,
    PaymentStatus.REFUNDING,
    PaymentStatus.REFUNDED,
)


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


class TransactionKind(models.TextChoices):
    CHARGE = "charge"
    REFUND = "refund"
    COD = "cod"  # a cash-on-delivery payment was registered


class TransactionStatus(models.TextChoices):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PENDING = "pending"


class PaymentTransaction(models.Model):
    """One exchange with the provider (or the cash register): the payment's history."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=10, choices=TransactionKind.choices)
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
