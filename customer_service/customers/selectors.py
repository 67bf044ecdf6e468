from typing import TypeVar

from django.db.models import Q, QuerySet
from rest_framework.exceptions import PermissionDenied

from common.auth import Caller
from common.db import filter_given
from common.errors import NotFound
from common.permissions import visible_or_404
from customers.models import Address, Customer, FullName

M = TypeVar("M", FullName, Address)


def customer_list(*, search: str = "", account_id: int | None = None) -> QuerySet[Customer]:
    """Customers with their account, full name and address in one query; `search`
    matches part of the username, email, first or last name, city or country, any case."""
    customers = filter_given(Customer.objects.select_related("account", "fullname", "address"), account_id=account_id)
    if search:
        customers = customers.filter(
            Q(account__username__icontains=search)
            | Q(account__email__icontains=search)
            | Q(fullname__first_name__icontains=search)
            | Q(fullname__last_name__icontains=search)
            | Q(address__city__icontains=search)
            | Q(address__country__icontains=search)
        )
    return customers


def customers_listed_for(caller: Caller, *, search: str = "", account_id: int | None = None) -> QuerySet[Customer]:
    """customer_list for staff and services; a customer lists none (a 403)."""
    if not caller.is_privileged:
        raise PermissionDenied("Only staff may list customers.")
    return customer_list(search=search, account_id=account_id)


def customer_visible(caller: Caller, **lookup: int) -> Customer:
    """A customer by pk= or account_id=, if the caller may see it (someone else's: the 404 of none)."""
    customer = customer_list().filter(**lookup).first()
    return visible_or_404(customer, caller=caller, not_found=NotFound("Not found."), owner_field="account_id")


def _owned_by(model: type[M], caller: Caller) -> QuerySet[M]:
    """Staff see all of them; anyone else (a customer, a service) the caller's own."""
    if caller.is_staff:
        return model.objects.all()
    return model.objects.filter(account_id=caller.user_id) if caller.user_id else model.objects.none()


def _one_owned_by(model: type[M], caller: Caller, pk: int) -> M:
    return visible_or_404(
        model.objects.filter(pk=pk).first(), caller=caller, not_found=NotFound("Not found."), owner_field="account_id"
    )


def fullnames_visible_to(caller: Caller) -> QuerySet[FullName]:
    return _owned_by(FullName, caller)


def fullname_visible(caller: Caller, pk: int) -> FullName:
    return _one_owned_by(FullName, caller, pk)


def addresses_visible_to(caller: Caller) -> QuerySet[Address]:
    return _owned_by(Address, caller)


def address_visible(caller: Caller, pk: int) -> Address:
    return _one_owned_by(Address, caller, pk)
