"""The warehouse and its stock in the admin, changed through stock.services as the API
changes them: the default warehouse edited by warehouse_update (8.2: no capacity below
what is stored), units put on the shelves by stock_add (8.3: the book must exist, the
units must fit, the warehouse must be active) and taken off by stock_remove (8.5: only
available units), with the free capacity of each product type shown (8.6). Reserved
units and reservations are the checkouts' and stay read-only. Books are shown by title,
from one call to book_service per page."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers

from common.admin_names import BOOK_TITLES, NamesAdminMixin, name_column
from common.admin_services import RecordAdminMixin, ServiceAdminMixin, act_on_each
from common.errors import Conflict
from stock import selectors, services
from stock.errors import StockErrorCode
from stock.models import MAX_UNITS, ProductType, Reservation, ReservationLine, StockItem, Warehouse


def is_book(item: StockItem) -> bool:
    return item.product_type == ProductType.BOOK


# Warehouses


def usage_text(usage: selectors.TypeUsage) -> str:
    return f"{usage.used:,} of {usage.capacity:,} used ({usage.reserved:,} reserved), {usage.free:,} free"


class WarehouseForm(forms.ModelForm):
    class Meta:
        model = Warehouse
        fields = ["address", "status", "book_quantity", "clothes_quantity", "electronic_quantity"]


@admin.register(Warehouse)
class WarehouseAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """The default warehouse, the one the API acts on: made by warehouse_create (8.1) when
    there is none, edited by warehouse_update (8.2), never deleted (its stock holds it)."""

    form = WarehouseForm
    list_display = ["id", "name", "is_default", "status", "book_usage", "clothes_usage", "electronics_usage"]
    list_filter = ["status", "is_default"]
    search_fields = ["name", "address"]
    readonly_fields = ["name", "is_default", "free_capacity"]

    def get_fields(self, request, obj=None):
        editable = ["address", "status", "book_quantity", "clothes_quantity", "electronic_quantity"]
        return editable if obj is None else ["name", "is_default", *editable, "free_capacity"]

    def has_add_permission(self, request):
        return not Warehouse.objects.filter(is_default=True).exists()

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.is_default  # the API acts on the default warehouse only

    def has_delete_permission(self, request, obj=None):
        return False

    def service_save(self, request, obj, form, change):
        values = {field: form.cleaned_data[field] for field in WarehouseForm.Meta.fields}
        if not change:
            return services.warehouse_create(**values)
        return services.warehouse_update(**values)

    def _usage(self, warehouse: Warehouse) -> dict[str, selectors.TypeUsage]:
        # One query per warehouse, kept on the row for its three columns.
        if not hasattr(warehouse, "_usage"):
            warehouse._usage = selectors.warehouse_usage(warehouse=warehouse)  # type: ignore[attr-defined]
        return warehouse._usage  # type: ignore[attr-defined]

    @admin.display(description="books")
    def book_usage(self, warehouse):
        return usage_text(self._usage(warehouse)[ProductType.BOOK])

    @admin.display(description="clothes")
    def clothes_usage(self, warehouse):
        return usage_text(self._usage(warehouse)[ProductType.CLOTHES])

    @admin.display(description="electronics")
    def electronics_usage(self, warehouse):
        return usage_text(self._usage(warehouse)[ProductType.ELECTRONICS])

    @admin.display(description="free capacity (8.6)")
    def free_capacity(self, warehouse):
        return "; ".join(f"{kind}: {usage_text(usage)}" for kind, usage in self._usage(warehouse).items())


# Stock


class AvailableBelowFilter(admin.SimpleListFilter):
    """Stock below a threshold: the usual ones listed, any other by
    ?available_below=<n> in the address."""

    title = "available units"
    parameter_name = "available_below"
    THRESHOLDS = (5, 10, 20, 50, 100)

    def lookups(self, request, model_admin):
        return [("1", "none (out of stock)"), *((str(n), f"below {n}") for n in self.THRESHOLDS)]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not (value.isdigit() and len(value) <= 10):
            return queryset.none()
        return queryset.filter(available__lt=int(value))


class StockAddForm(forms.ModelForm):
    """Units of a product put on the shelves of the default warehouse (8.3)."""

    quantity = forms.IntegerField(min_value=1, max_value=MAX_UNITS, label="units to add")

    class Meta:
        model = StockItem
        fields = ["product_type", "product_id"]


class StockChangeForm(forms.ModelForm):
    """Units added (8.3) or taken off the shelves (8.5): reserved units stay held."""

    change = forms.ChoiceField(choices=[("add", "add units (8.3)"), ("remove", "remove available units (8.5)")])
    quantity = forms.IntegerField(min_value=1, max_value=MAX_UNITS, label="units")

    class Meta:
        model = StockItem
        fields: list[str] = []


class StockActionForm(helpers.ActionForm):
    # Read by the add and remove actions themselves: a bad number is their message, not
    # the action form's "No action selected".
    quantity = forms.CharField(required=False, label="Units:", max_length=20)


READ_ONLY_ITEM_FIELDS = ["warehouse", "product_type", "product", "available", "reserved", "created_at", "updated_at"]


@admin.register(StockItem)
class StockItemAdmin(NamesAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    product = name_column("product_id", BOOK_TITLES, description="product", when=is_book)
    list_display = ["id", "warehouse", "product_type", "product", "available", "reserved", "updated_at"]
    list_filter = [AvailableBelowFilter, "warehouse", "product_type"]
    search_fields = ["=product_id"]
    list_select_related = ["warehouse"]
    action_form = StockActionForm
    actions = ["add_units", "remove_units"]
    # stock_add asks book_service whether the book exists before its own transaction,
    # so the warehouse is not locked while it waits: no transaction around the form either.
    outer_transaction = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = StockChangeForm if obj is not None else StockAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["product_type", "product_id", "quantity"]
        return [*READ_ONLY_ITEM_FIELDS, "change", "quantity"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else READ_ONLY_ITEM_FIELDS

    def has_delete_permission(self, request, obj=None):
        return False  # an item's units go by removing them (8.5); reservations refer to it

    def service_save(self, request, obj, form, change):
        data = form.cleaned_data
        quantity = data["quantity"]
        if not change:
            item = services.stock_add(
                product_id=data["product_id"], quantity=quantity, product_type=data["product_type"]
            )
            self.message_user(request, f"{quantity} units added: {item.available} available now.", messages.SUCCESS)
            return item
        outcome = stock_change(obj, "add" if data["change"] == "add" else "remove", quantity)
        self.message_user(request, f"{outcome}.", messages.SUCCESS)
        return StockItem.objects.get(pk=obj.pk)

    def _each(self, request, queryset, change: str) -> None:
        raw = request.POST.get("quantity", "").strip()
        if not (raw.isdigit() and 1 <= int(raw) <= MAX_UNITS):
            self.message_user(
                request, f"Give the units to {change}: a whole number from 1 to {MAX_UNITS:,}.", messages.ERROR
            )
            return
        quantity = int(raw)
        act_on_each(
            self,
            request,
            queryset.select_related("warehouse").order_by("id"),
            lambda item: stock_change(item, change, quantity),
        )

    @admin.action(description="Add the units given to the selected stock items (8.3)", permissions=["change"])
    def add_units(self, request, queryset):
        self._each(request, queryset, "add")

    @admin.action(description="Remove the units given from the selected stock items (8.5)", permissions=["change"])
    def remove_units(self, request, queryset):
        self._each(request, queryset, "remove")


def stock_change(item: StockItem, change: str, quantity: int) -> str:
    """Add or remove units of a stock item through the services; what it did."""
    if not item.warehouse.is_default:
        raise Conflict(
            "Stock changes in the default warehouse only, as the API makes them.",
            code=StockErrorCode.WAREHOUSE_NOT_FOUND,
        )
    write = services.stock_add if change == "add" else services.stock_remove
    changed = write(product_id=item.product_id, quantity=quantity, product_type=item.product_type)
    done = "added" if change == "add" else "removed"
    return f"{quantity} units {done}: {changed.available} available, {changed.reserved} reserved"


# Reservations: the checkouts' holds, read-only


class ReservationLineInline(admin.TabularInline):
    model = ReservationLine
    fields = readonly_fields = ("stock_item", "quantity")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Reservation)
class ReservationAdmin(RecordAdminMixin, admin.ModelAdmin):
    list_display = ["reference", "warehouse", "status", "created_at", "expires_at", "confirmed_at", "released_at"]
    list_filter = ["status", "warehouse", "created_at"]
    search_fields = ["reference"]
    fields = ["warehouse", "reference", "status", "created_at", "expires_at", "confirmed_at", "released_at"]
    inlines = [ReservationLineInline]
