from django.db.models import Q, QuerySet

from customers.models import Address, Customer, FullName


def customer_list(*, search: str = "", account_id: int | None = None) -> QuerySet[Customer]:
    """Customers with their account, full name and address in one query; `search`
    matches part of the username, email, first or last name, city or country, any case."""
    customers = Customer.objects.select_related("account", "fullname", "address")
    if account_id is not None:
        customers = customers.filter(account_id=account_id)
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


def fullnames_visible_to(caller) -> QuerySet[FullName]:
    return FullName.objects.all() if caller.is_staff else FullName.objects.filter(account_id=caller.id)


def addresses_visible_to(caller) -> QuerySet[Address]:
    return Address.objects.all() if caller.is_staff else Address.objects.filter(account_id=caller.id)
