from django.db import models

from common.models import TimeStampedModel


class OrderStatus(models.TextChoices):
    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class PaymentMethod(models.TextChoices):
    """How the payment that takes an order pays (payment_service's methods)."""

    CARD = "card"
    COD = "cod"  # cash on delivery


class Order(TimeStampedModel):
    user_id = models.BigIntegerField(db_index=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    # The stock reservation in inventory_service is made under this reference before
    # the order row exists, so a failed checkout can release it by the same name.
    reservation_reference = models.CharField(max_length=64, unique=True)
    # A pending order not paid by then is cancelled by the expiry sweep; None once a
    # payment took it (and for orders from before expiry existed).
    payment_due_at = models.DateTimeField(null=True, blank=True)
    # The payment (payment_service's id) that took this order: a card payment made it
    # paid; a cash-on-delivery one confirmed it, pending until the cash is collected.
    payment_id = models.BigIntegerField(null=True, blank=True)
    cash_on_delivery = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "payment_due_at"], name="order_payment_due")]

    def __str__(self) -> str:
        return f"Order {self.pk} ({self.status})"


class OrderLine(models.Model):
    """A cart line as it was at checkout: title and price are copied, not looked up later."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product_id = models.BigIntegerField()
    title = models.CharField(max_length=300)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["order", "product_id"], name="order_line_product_unique")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.title}"


class OrderStatusChange(models.Model):
    """One step of an order's life; the first has no from_status (the checkout)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices)
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by_user_id = models.BigIntegerField(null=True, blank=True)  # null for a service
    changed_by = models.CharField(max_length=150)  # "user 5", "staff 9000", "service payment"
    reason = models.CharField(max_length=30, blank=True)  # why a service did it: "payment_expired", "refunded"

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class CheckoutLock(models.Model):
    """At most one checkout per user at a time: the row is inserted before the cart is
    read and deleted when the checkout ends; a second checkout meanwhile is refused."""

    user_id = models.BigIntegerField(primary_key=True)
    acquired_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"checkout lock of user {self.user_id}"


class ReservationIntent(models.Model):
    """A stock reservation this service asks inventory for, written (and committed)
    before the call: until the order is saved (which deletes it in its transaction) it
    is the only durable trace of the held stock. One left behind by a checkout that
    died or gave up is released by the sweep (services.reservation_intents_abandon)."""

    reference = models.CharField(max_length=64, primary_key=True)
    user_id = models.BigIntegerField()
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.reference
