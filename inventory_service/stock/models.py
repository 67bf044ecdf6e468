from django.db import models
from django.db.models import Q

from common.models import TimeStampedModel

# Large enough for any real warehouse, small enough that a type's total (available
# plus reserved) fits PostgreSQL's 32-bit integer column.
MAX_UNITS = 1_000_000_000
MAX_PRODUCT_ID = 2**63 - 1  # the largest id a BigAutoField (the product services' ids) can hold


class ProductType(models.TextChoices):
    BOOK = "book"
    CLOTHES = "clothes"
    ELECTRONICS = "electronics"


class Warehouse(TimeStampedModel):
    """A warehouse with a capacity, in units, per product type. The API acts on the
    default one (is_default); more warehouses fit the model without changing it."""

    class Status(models.TextChoices):
        ACTIVE = "active"  # takes stock in and reserves it
        PAUSED = "paused"  # temporarily takes nothing in and reserves nothing (stocktaking, say)
        CLOSED = "closed"  # out of use

    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)
    address = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # The seed's names for the capacity of each product type.
    book_quantity = models.PositiveIntegerField()
    clothes_quantity = models.PositiveIntegerField()
    electronic_quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_warehouse"),
        ]

    def __str__(self) -> str:
        return self.name


# The Warehouse field holding each product type's capacity.
CAPACITY_FIELDS: dict[str, str] = {
    ProductType.BOOK: "book_quantity",
    ProductType.CLOTHES: "clothes_quantity",
    ProductType.ELECTRONICS: "electronic_quantity",
}


class StockItem(TimeStampedModel):
    """The units of one product in one warehouse. `available` can be sold; `reserved`
    is held for checkouts and still on the shelf, so both count against capacity."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_items")
    product_type = models.CharField(max_length=20, choices=ProductType.choices, default=ProductType.BOOK)
    product_id = models.PositiveBigIntegerField()
    available = models.PositiveIntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["warehouse_id", "product_type", "product_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "product_type", "product_id"], name="one_stock_item_per_product"
            ),
            # The last line of defence: the database itself refuses negative stock.
            models.CheckConstraint(condition=Q(available__gte=0), name="available_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="reserved_not_negative"),
        ]
        indexes = [models.Index(fields=["product_id"])]

    def __str__(self) -> str:
        return f"{self.product_type} {self.product_id}"

    @property
    def on_hand(self) -> int:
        return self.available + self.reserved


class Reservation(TimeStampedModel):
    """Stock held for a checkout, named by the caller's reference (the order's).

    Reserving moves units from available to reserved; releasing moves them back. A
    new hold lasts until `expires_at` (STOCK_HOLD_MINUTES) unless its holder confirms
    it (the order was saved): a hold whose order never came to exist goes back on sale
    by itself (services.reservations_expire). The units of a confirmed hold stay
    reserved until the order is cancelled (released); nothing yet takes them off the
    shelves when it ships.
    """

    class Status(models.TextChoices):
        HELD = "held"
        RELEASED = "released"  # given back by its holder
        EXPIRED = "expired"  # given back because nobody confirmed it in time

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="reservations")
    reference = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.HELD)
    expires_at = models.DateTimeField(null=True, blank=True)  # None once confirmed
    confirmed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)  # given back, by its holder or by expiry

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return self.reference


class ReservationLine(models.Model):
    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="lines")
    stock_item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="reservation_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["reservation", "stock_item"], name="one_line_per_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reservation.reference}: {self.quantity} x {self.stock_item}"
