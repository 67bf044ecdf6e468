from django.contrib import admin

from customers.models import Address, Customer, FullName


@admin.register(FullName)
class FullNameAdmin(admin.ModelAdmin):
    list_display = ["id", "first_name", "last_name", "account", "created_at"]
    search_fields = ["first_name", "last_name", "account__username"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["id", "address", "city", "country", "account"]
    list_filter = ["country"]
    search_fields = ["address", "city", "country", "account__username"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["id", "account", "fullname", "address", "created_at"]
    list_filter = ["address__country", "created_at"]
    search_fields = ["account__username", "account__email", "fullname__first_name", "fullname__last_name"]
    list_select_related = ["account", "fullname", "address"]
    raw_id_fields = ["account", "fullname", "address"]

    def has_add_permission(self, request):
        # Creating a customer also creates its cart in cart_service: use the API (4.5).
        return False
