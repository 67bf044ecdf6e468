"""Carts in the admin: what customers are about to buy, as records (a cart is made for
a customer by customer_service, its lines by the customer through the API, within the
cart's rules). Nothing is added, deleted or edited by hand. Customers are shown by
username and lines by book title, one call to each peer per page."""

from django.contrib import admin
from django.db.models import Count, Sum

from carts.models import Cart, CartItem
from common.admin_names import BOOK_TITLES, USERNAMES, NamesAdminMixin, name_column
from common.admin_services import RecordAdminMixin


class CartItemInline(admin.TabularInline):
    model = CartItem
    extra = 0
    can_delete = False
    product = name_column("product_id", BOOK_TITLES, description="book")
    fields = readonly_fields = ("product", "quantity", "created_at", "updated_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Cart)
class CartAdmin(NamesAdminMixin, RecordAdminMixin, admin.ModelAdmin):
    user = name_column("user_id", USERNAMES, description="customer")
    list_display = ["id", "user", "line_count", "total_quantity", "created_at", "updated_at"]
    list_filter = ["created_at", "updated_at"]
    search_fields = ["=user_id"]
    fields = ["user", "created_at", "updated_at"]
    readonly_fields = ["user"]  # and every field of the cart (RecordAdminMixin)
    inlines = [CartItemInline]

    def get_queryset(self, request):
        carts = super().get_queryset(request)
        return carts.annotate(_line_count=Count("items"), _total_quantity=Sum("items__quantity"))

    @admin.display(description="lines", ordering="_line_count")
    def line_count(self, cart) -> int:
        return cart._line_count

    @admin.display(description="items", ordering="_total_quantity")
    def total_quantity(self, cart) -> int:
        return cart._total_quantity or 0
