"""Orders in the admin. Staff move orders along their life (3.2) with actions on the list
and buttons on an order's page, through orders.services.order_status_change as PATCH
/api/orders/{id}/ does: the same state machine, history row, event and stock release.
The page offers only the moves the state machine allows for that order; each order
moved or refused gets its own message. Orders, lines and history are records: nothing
is added, deleted or edited by hand (an order is made by checkout). Customers are shown
by username, from one call to customer_service per page."""

from django.contrib import admin

from common.admin_names import USERNAMES, NamesAdminMixin, name_column
from common.admin_services import Button, ObjectButtonsMixin, RecordAdminMixin, act_on_each, admin_caller
from orders import services
from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange, ReservationIntent

# Each status an order may be moved to, as its button reads.
MOVE_LABELS: dict[str, str] = {
    OrderStatus.PAID: "Mark paid",
    OrderStatus.SHIPPED: "Ship",
    OrderStatus.DELIVERED: "Mark delivered",
    OrderStatus.CANCELLED: "Cancel the order",
}


def order_move(request, order: Order, to_status: str) -> str:
    """One move through the service, as the staff member at the admin; what it did."""
    moved = services.order_status_change(order_id=order.pk, to_status=to_status, caller=admin_caller(request))
    return f"{order.status} → {moved.status}"


def move_action(name: str, to_status: str, description: str):
    """The list action `name`: each selected order moved to `to_status`, one message each."""

    @admin.action(description=description, permissions=["change"])
    def move(model_admin, request, queryset):
        act_on_each(
            model_admin,
            request,
            queryset.order_by("id"),
            lambda order: order_move(request, order, to_status),
            name=model_admin.row_name,
        )

    move.__name__ = name  # the action's name in the list's form
    return move


class OrderLineInline(admin.TabularInline):
    """The cart as it was at checkout (titles and prices copied then): a record."""

    model = OrderLine
    extra = 0
    fields = readonly_fields = ("product_id", "title", "unit_price", "quantity", "line_total")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OrderStatusChangeInline(admin.TabularInline):
    """The order's history: each move, by whom and why."""

    model = OrderStatusChange
    extra = 0
    changed_by_user = name_column("changed_by_user_id", USERNAMES, description="by account")
    fields = readonly_fields = ("from_status", "to_status", "changed_at", "changed_by", "changed_by_user", "reason")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(NamesAdminMixin, ObjectButtonsMixin, RecordAdminMixin, admin.ModelAdmin):
    user = name_column("user_id", USERNAMES, description="customer")
    list_display = ["id", "user", "status", "total", "payment_id", "cash_on_delivery", "created_at", "payment_due_at"]
    list_filter = ["status", "cash_on_delivery", "created_at"]
    search_fields = ["=id", "=user_id", "reservation_reference"]
    date_hierarchy = "created_at"
    fields = [
        "user",
        "status",
        "total",
        "payment_id",
        "cash_on_delivery",
        "payment_due_at",
        "reservation_reference",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["user"]  # and every field of the order (RecordAdminMixin)
    inlines = [OrderLineInline, OrderStatusChangeInline]
    actions = [
        move_action("mark_paid", OrderStatus.PAID, "Mark the selected orders paid (no payment is recorded)"),
        move_action("ship", OrderStatus.SHIPPED, "Ship the selected orders"),
        move_action("mark_delivered", OrderStatus.DELIVERED, "Mark the selected orders delivered"),
        move_action("cancel", OrderStatus.CANCELLED, "Cancel the selected orders (their stock goes back on sale)"),
    ]
    button_names = tuple(MOVE_LABELS)

    def object_buttons(self, request, obj):
        return [Button(to_status, MOVE_LABELS[to_status]) for to_status in services.allowed_moves(obj)]

    def press_button(self, request, obj, name):
        return order_move(request, obj, name)


@admin.register(ReservationIntent)
class ReservationIntentAdmin(NamesAdminMixin, RecordAdminMixin, admin.ModelAdmin):
    """Checkouts under way, or interrupted ones the sweep will release."""

    user = name_column("user_id", USERNAMES, description="customer")
    list_display = ["reference", "user", "created_at"]
    search_fields = ["reference", "=user_id"]
    fields = ["reference", "user", "created_at"]
    readonly_fields = ["user"]
