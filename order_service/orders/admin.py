from django.contrib import admin

from orders.models import Order, OrderLine, OrderStatusChange, ReservationIntent


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    readonly_fields = ["product_id", "title", "unit_price", "quantity", "line_total"]
    can_delete = False


class OrderStatusChangeInline(admin.TabularInline):
    """Read-only: status changes go through the API so stock and events follow."""

    model = OrderStatusChange
    extra = 0
    readonly_fields = ["from_status", "to_status", "changed_at", "changed_by", "changed_by_user_id", "reason"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["id", "user_id", "status", "total", "payment_id", "cash_on_delivery", "payment_due_at"]
    list_filter = ["status", "cash_on_delivery", "created_at"]
    search_fields = ["id", "user_id", "reservation_reference"]
    date_hierarchy = "created_at"
    # A status edited here would skip the stock release and the event: use PATCH /api/orders/{id}/.
    readonly_fields = [
        "user_id",
        "status",
        "total",
        "reservation_reference",
        "payment_due_at",
        "payment_id",
        "cash_on_delivery",
        "created_at",
        "updated_at",
    ]
    inlines = [OrderLineInline, OrderStatusChangeInline]


@admin.register(ReservationIntent)
class ReservationIntentAdmin(admin.ModelAdmin):
    """Checkouts under way, or interrupted ones the sweep will release."""

    list_display = ["reference", "user_id", "created_at"]
    search_fields = ["reference", "=user_id"]
    readonly_fields = ["reference", "user_id", "created_at"]

    def has_add_permission(self, request):
        return False
