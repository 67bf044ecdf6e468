from django.db import models

from common.models import TimeStampedModel


class OrderStatus(models.TextChoices):
    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Order(TimeStampedModel):
    user_id = models.BigIntegerField(db_index=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    # The stock reservation in inventory_service is made under this reference before
    # the order row exists, so a failed checkout can release it by the same name.
    reservation_reference = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]

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


class IdempotencyKey(models.Model):
    """An Idempotency-Key a caller sent with a checkout: while `order` is empty the first
    request is still running; after, replays get that order."""

    caller = models.CharField(max_length=150)  # "user:5" or "service:payment": keys are per caller
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # sha256 of the request body
    order = models.ForeignKey(Order, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["caller", "key"], name="idempotency_key_unique")]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"
