"""Writes of full names, addresses and customers."""

from django.db import IntegrityError, transaction
from rest_framework.exceptions import PermissionDenied, ValidationError

from accounts.models import Account
from common.errors import Conflict, no_such
from common.outbox.publisher import publish
from customers.clients import carts
from customers.errors import CustomerErrorCode
from customers.models import Address, Customer, FullName


def _owner(*, caller: Account, account_id: int | None) -> Account:
    """Whose new full name or address this is: the caller's own; staff may name any account."""
    if account_id is None or account_id == caller.id:
        return caller
    if not caller.is_staff:
        raise PermissionDenied("You may only create this for your own account.")
    owner = Account.objects.filter(pk=account_id).first()
    if owner is None:
        raise ValidationError({"account_id": [f"There is no account with id {account_id}."]})
    return owner


@transaction.atomic
def fullname_create(*, caller: Account, first_name: str, last_name: str, account_id: int | None = None) -> FullName:
    owner = _owner(caller=caller, account_id=account_id)
    return FullName.objects.create(account=owner, first_name=first_name, last_name=last_name)


@transaction.atomic
def address_create(*, caller: Account, address: str, city: str, country: str, account_id: int | None = None) -> Address:
    owner = _owner(caller=caller, account_id=account_id)
    return Address.objects.create(account=owner, address=address, city=city, country=country)


def _usable(model, pk: int, field: str, *, caller: Account, account: Account):
    """The full name or address `pk`: 400 if there is none, or if it is someone else's
    and the caller is not staff (the same answer, so ids cannot be probed), 400 if it
    belongs to another account than the customer's (even staff do not mix two
    accounts' data in one customer)."""
    instance = model.objects.filter(pk=pk).first()
    if instance is None or (instance.account_id != caller.id and not caller.is_staff):
        raise no_such(model, pk, field=field)
    if instance.account_id != account.id:
        raise ValidationError({field: [f"{model._meta.verbose_name.capitalize()} {pk} belongs to another account."]})
    return instance


def _customer_exists() -> Conflict:
    message = "This account already has a customer."
    return Conflict(message, code=CustomerErrorCode.CUSTOMER_EXISTS, details={"account_id": [message]})


def customer_create(*, caller: Account, account_id: int, fullname_id: int, address_id: int) -> Customer:
    """4.5: link an account to its full name and address, and create its cart.

    The cart is created first, outside any transaction, then the customer is saved:
    if cart_service is down or slow the answer is 503/504 and nothing is saved here
    (no half-made customer, and no database lock held while waiting on the network).
    Creating a cart is idempotent, so a retry after a timeout, or a cart left by a
    customer that then lost a race, is harmless: the account gets that same cart.
    """
    if account_id != caller.id and not caller.is_staff:
        raise PermissionDenied("You may only create the customer of your own account.")
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        raise ValidationError({"account_id": [f"There is no account with id {account_id}."]})
    fullname = _usable(FullName, fullname_id, "fullname_id", caller=caller, account=account)
    address = _usable(Address, address_id, "address_id", caller=caller, account=account)
    if Customer.objects.filter(account=account).exists():
        raise _customer_exists()

    carts.cart_create(user_id=account.id)

    try:
        with transaction.atomic():
            customer = Customer.objects.create(account=account, fullname=fullname, address=address)
            publish(
                "customer.created",
                {
                    "user_id": account.id,
                    "customer_id": customer.pk,
                    "first_name": fullname.first_name,
                    "last_name": fullname.last_name,
                },
                key=f"customer:{customer.pk}",
            )
            return customer
    except IntegrityError:  # a concurrent request created this account's customer first
        raise _customer_exists() from None
