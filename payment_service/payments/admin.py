"""Payments in the admin: records of what happened, with their transactions and the
sandbox provider's books. Staff refund a succeeded payment (an action on the list, a
button on its page) through payments.services.payment_refund, the API's refund path:
the provider's refund, its transaction row and payment.refunded, after which
order_service cancels the order and gives its stock back. Nothing is added, deleted or
edited by hand; customers are shown by username, from one call per page."""

from django.contrib import admin

from common.admin_names import USERNAMES, NamesAdminMixin, name_column
from common.admin_services import Button, ObjectButtonsMixin, RecordAdminMixin, act_on_each, admin_caller
from payments import services
from payments.models import Payment, PaymentStatus, PaymentTransaction, SandboxCharge


def payment_refund(request, payment: Payment) -> str:
    refunded = services.payment_refund(payment_id=payment.pk, caller=admin_caller(request))
    return f"{refunded.status} ({refunded.amount} given back)"


class PaymentTransactionInline(admin.TabularInline):
    """The payment's history with the provider, read-only: it records what happened."""

    model = PaymentTransaction
    extra = 0
    can_delete = False
    readonly_fields = [
        "kind",
        "status",
        "amount",
        "provider_reference",
        "failure_code",
        "failure_message",
        "created_by",
        "created_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(NamesAdminMixin, ObjectButtonsMixin, RecordAdminMixin, admin.ModelAdmin):
    user = name_column("user_id", USERNAMES, description="customer")
    list_display = ["id", "order_id", "user", "amount", "method", "status", "card_brand", "card_last4", "created_at"]
    list_filter = ["status", "method", "card_brand", "created_at"]
    search_fields = ["=id", "=order_id", "=user_id", "provider_reference", "card_last4"]
    date_hierarchy = "created_at"
    fields = [
        "order_id",
        "user",
        "amount",
        "method",
        "status",
        "failure_code",
        "failure_message",
        "card_brand",
        "card_last4",
        "provider",
        "provider_reference",
        "refunded_at",
        "order_cancelled",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["user"]  # and every field of the payment (RecordAdminMixin)
    inlines = [PaymentTransactionInline]
    actions = ["refund"]
    button_names = ("refund",)

    def object_buttons(self, request, obj):
        return [Button("refund", "Refund")] if obj.status == PaymentStatus.SUCCEEDED else []

    def press_button(self, request, obj, name):
        return payment_refund(request, obj)

    @admin.action(description="Refund the selected payments (succeeded ones)", permissions=["change"])
    def refund(self, request, queryset):
        act_on_each(self, request, queryset.order_by("id"), lambda p: payment_refund(request, p), name=self.row_name)


@admin.register(PaymentTransaction)
class PaymentTransactionAdmin(admin.ModelAdmin):
    list_display = ["id", "payment", "kind", "status", "amount", "created_by", "created_at"]
    list_filter = ["kind", "status", "created_at"]
    search_fields = ["payment__id", "payment__order_id", "provider_reference"]
    list_select_related = ["payment"]
    readonly_fields = [f.name for f in PaymentTransaction._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SandboxCharge)
class SandboxChargeAdmin(admin.ModelAdmin):
    """The sandbox provider's books: what it holds, took, gave up and gave back."""

    list_display = ["reference", "state", "amount", "provider_reference", "created_at", "updated_at"]
    list_filter = ["state", "created_at"]
    search_fields = ["reference", "provider_reference"]
    readonly_fields = [f.name for f in SandboxCharge._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
