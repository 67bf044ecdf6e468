from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from common.models import TimeStampedModel

MAX_LINE_QUANTITY = 999


class Cart(TimeStampedModel):
    """One per user; updated_at moves with every change to its items."""

    user_id = models.PositiveBigIntegerField(unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"cart of user {self.user_id}"


class CartItem(TimeStampedModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    product_id = models.PositiveBigIntegerField()
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_LINE_QUANTITY)])

    class Meta:
        ordering = ["id"]  # the order the products were first added
        constraints = [
            models.UniqueConstraint(fields=["cart", "product_id"], name="cart_item_one_line_per_product"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1, quantity__lte=MAX_LINE_QUANTITY),
                name="cart_item_quantity_1_to_999",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x product {self.product_id}"
