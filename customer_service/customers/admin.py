"""Full names, addresses and customers in the admin, made through customers.services as
the API makes them (4.3, 4.4, 4.5): staff name the account; a customer joins an account
to that account's own full name and address, and its cart is made in cart_service (asked
before the customer is saved, outside any transaction, as the service intends). Whose a
record is, and which full name and address a customer has, are not changed by hand;
nothing is deleted here (a deleted account takes its data with it)."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin

from common.admin_services import ServiceAdminMixin
from customers import services
from customers.models import Address, Customer, FullName


class OwnedAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """A record owned by an account: made by its service for the account staff choose;
    its account never changes."""

    list_select_related = ["account"]
    raw_id_fields = ["account"]
    refusal_fields = {"account_id": "account"}

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["account"]

    def has_delete_permission(self, request, obj=None):
        return False

    # The service function that makes one for an account: fullname_create, address_create.
    create_with: Callable[..., Any]

    def service_save(self, request, obj, form, change):
        if change:
            obj.save()  # the text only: no rule of the API is about it
            return obj
        data = dict(form.cleaned_data)
        account = data.pop("account")
        return self.create_with(caller=request.user, account_id=account.pk, **data)


@admin.register(FullName)
class FullNameAdmin(OwnedAdmin):
    list_display = ["id", "first_name", "last_name", "account", "created_at"]
    search_fields = ["first_name", "last_name", "account__username"]
    fields = ["account", "first_name", "last_name"]
    create_with = staticmethod(services.fullname_create)


@admin.register(Address)
class AddressAdmin(OwnedAdmin):
    list_display = ["id", "address", "city", "country", "account"]
    list_filter = ["country"]
    search_fields = ["address", "city", "country", "account__username"]
    fields = ["account", "address", "city", "country"]
    create_with = staticmethod(services.address_create)


@admin.register(Customer)
class CustomerAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ["id", "account", "fullname", "address", "created_at"]
    list_filter = ["address__country", "created_at"]
    search_fields = ["account__username", "account__email", "fullname__first_name", "fullname__last_name"]
    list_select_related = ["account", "fullname", "address"]
    raw_id_fields = ["account", "fullname", "address"]
    fields = ["account", "fullname", "address"]
    refusal_fields = {"account_id": "account", "fullname_id": "fullname", "address_id": "address"}
    # customer_create asks cart_service for the cart before its own transaction.
    outer_transaction = False

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["account", "fullname", "address", "created_at"]

    def has_delete_permission(self, request, obj=None):
        return False

    def service_save(self, request, obj, form, change):
        if change:
            return obj  # nothing on the page is editable
        data = form.cleaned_data
        return services.customer_create(
            caller=request.user,
            account_id=data["account"].pk,
            fullname_id=data["fullname"].pk,
            address_id=data["address"].pk,
        )
