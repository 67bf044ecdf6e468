from django.contrib import admin
from django.db.models import Count, Sum

from carts.models import Cart, CartItem


class CartItemInline(admin.TabularInline):
    model = CartItem
    extra = 0
    fields = ["product_id", "quantity", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["id", "user_id", "line_count", "total_quantity", "created_at", "updated_at"]
    list_filter = ["created_at", "updated_at"]
    search_fields = ["user_id"]
    readonly_fields = ["created_at", "updated_at"]
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
