"""The customers' admin: full names, addresses and customers made through
customers.services, with the API's rules (a customer's full name and address are its
account's own; its cart made in cart_service first) and events."""

import pytest
import requests

from common.outbox.models import OutboxEvent
from customers.models import Address, Customer, FullName

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(make_account):
    return make_account("ann")


def test_full_names_and_addresses_are_made_for_the_account_chosen(admin_client, ann):
    assert (
        admin_client.post(
            "/admin/customers/fullname/add/", {"account": ann.pk, "first_name": "Ann", "last_name": "Lee"}
        ).status_code
        == 302
    )
    assert (
        admin_client.post(
            "/admin/customers/address/add/",
            {"account": ann.pk, "address": "1 Tràng Tiền", "city": "Hà Nội", "country": "VN"},
        ).status_code
        == 302
    )

    assert FullName.objects.get().account == ann
    assert Address.objects.get().account == ann
    page = admin_client.get(f"/admin/customers/fullname/{FullName.objects.get().pk}/change/").content.decode()
    assert 'name="account"' not in page  # whose it is does not change
    assert admin_client.get(f"/admin/customers/fullname/{FullName.objects.get().pk}/delete/").status_code == 403


def test_a_customer_is_made_by_the_service_with_its_cart_and_event(admin_client, ann, cart_service):
    fullname = FullName.objects.create(account=ann, first_name="Ann", last_name="Lee")
    address = Address.objects.create(account=ann, address="1 Tràng Tiền", city="Hà Nội", country="VN")

    response = admin_client.post(
        "/admin/customers/customer/add/", {"account": ann.pk, "fullname": fullname.pk, "address": address.pk}
    )

    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.account, customer.fullname, customer.address) == (ann, fullname, address)
    assert len(cart_service.calls) == 1  # its cart, in cart_service
    assert OutboxEvent.objects.filter(event_type="customer.created").count() == 1
    assert admin_client.get(f"/admin/customers/customer/{customer.pk}/delete/").status_code == 403


def test_another_accounts_full_name_is_refused_next_to_its_field(admin_client, ann, make_account):
    bob = make_account("bob")
    fullname = FullName.objects.create(account=bob, first_name="Bob", last_name="Tran")
    address = Address.objects.create(account=ann, address="1 Tràng Tiền", city="Hà Nội", country="VN")

    response = admin_client.post(
        "/admin/customers/customer/add/", {"account": ann.pk, "fullname": fullname.pk, "address": address.pk}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "fullname": [f"Full name {fullname.pk} belongs to another account."]
    }
    assert not Customer.objects.exists()


def test_cart_service_down_saves_nothing_and_says_so(admin_client, ann, mocked_responses, carts_url):
    mocked_responses.post(carts_url, body=requests.ConnectionError("down"))
    fullname = FullName.objects.create(account=ann, first_name="Ann", last_name="Lee")
    address = Address.objects.create(account=ann, address="1 Tràng Tiền", city="Hà Nội", country="VN")

    response = admin_client.post(
        "/admin/customers/customer/add/", {"account": ann.pk, "fullname": fullname.pk, "address": address.pk}
    )

    assert response.context["adminform"].form.errors == {"__all__": ["The cart service is unavailable."]}
    assert not Customer.objects.exists()
