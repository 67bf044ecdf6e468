from django.contrib import admin

from payments.models import Payment, PaymentTransaction, SandboxCharge


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
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "order_id", "user_id", "amount", "method", "status", "card_brand", "card_last4", "created_at"]
    list_filter = ["status", "method", "card_brand", "created_at"]
    search_fields = ["id", "order_id", "user_id", "provider_reference", "card_last4"]
    date_hierarchy = "created_at"
    # Read-only: a status set here would skip the provider and the events; refunds go through the API.
    readonly_fields = [
        "order_id",
        "user_id",
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
    inlines = [PaymentTransactionInline]

    def has_add_permission(self, request):
        return False


@admin.register(PaymentTransaction)
class PaymentTransactionAdmin(admin.ModelAdmin):
    list_display = ["id", "payment", "kind", "status", "amount", "created_by", "created_at"]
    list_filter = ["kind", "status", "created_at"]
    search_fields = ["payment__id", "payment__order_id", "provider_reference"]
    list_select_related = ["payment"]
    readonly_fields = [f.name for f in PaymentTransaction._meta.fields]

    def has_add_permission(self, request):
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
