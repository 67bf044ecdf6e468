from django import forms
from django.contrib import admin

from stock import selectors
from stock.models import CAPACITY_FIELDS, Reservation, ReservationLine, StockItem, Warehouse


class WarehouseForm(forms.ModelForm):
    class Meta:
        model = Warehouse
        fields = ["name", "is_default", "address", "status", "book_quantity", "clothes_quantity", "electronic_quantity"]

    def clean(self):
        # The rule of PATCH /api/warehouse/: no capacity below what is already stored.
        cleaned = super().clean()
        if self.instance.pk:
            usage = selectors.warehouse_usage(warehouse=self.instance)
            for product_type, field in CAPACITY_FIELDS.items():
                capacity = cleaned.get(field)  # type: ignore[union-attr]  # ModelForm.clean gives cleaned_data; the stubs say None
                if capacity is not None and capacity < usage[product_type].used:
                    self.add_error(field, f"The warehouse holds {usage[product_type].used} {product_type} units.")
        return cleaned


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    form = WarehouseForm
    list_display = ["id", "name", "is_default", "status", "book_quantity", "clothes_quantity", "electronic_quantity"]
    list_filter = ["status", "is_default"]
    search_fields = ["name", "address"]


@admin.register(StockItem)
class StockItemAdmin(admin.ModelAdmin):
    list_display = ["id", "warehouse", "product_type", "product_id", "available", "reserved", "updated_at"]
    list_filter = ["warehouse", "product_type"]
    search_fields = ["=product_id"]
    list_select_related = ["warehouse"]
    # Units change only through the API, whose rules (capacity, reservations) hold
    # under concurrent requests; the admin shows them.
    readonly_fields = ["warehouse", "product_type", "product_id", "available", "reserved", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False


class ReservationLineInline(admin.TabularInline):
    model = ReservationLine
    fields = readonly_fields = ("stock_item", "quantity")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = ["reference", "warehouse", "status", "created_at", "expires_at", "confirmed_at", "released_at"]
    list_filter = ["status", "warehouse", "created_at"]
    search_fields = ["reference"]
    readonly_fields = ["warehouse", "reference", "status", "created_at", "expires_at", "confirmed_at", "released_at"]
    inlines = [ReservationLineInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
