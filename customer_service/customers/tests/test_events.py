"""A new customer is told to notification_service through the outbox (customer.created),
in the transaction that saves it; a customer that is not saved publishes nothing."""

import pytest
import requests

from common.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann_profile(make_account, client_of):
    ann = make_account("ann")
    client = client_of(ann)
    fullname = client.post("/api/fullnames/", {"first_name": "Thị", "last_name": "Nở"}).json()["id"]
    address = client.post("/api/addresses/", {"address": "1 Đường Làng", "city": "Vũ Đại", "country": "VN"}).json()
    OutboxEvent.objects.all().delete()  # the account's own event
    return ann, client, {"account_id": ann.id, "fullname_id": fullname, "address_id": address["id"]}


def test_creating_a_customer_publishes_customer_created(ann_profile, cart_service):
    ann, client, body = ann_profile

    response = client.post("/api/customers/", body)

    assert response.status_code == 201
    event = OutboxEvent.objects.get()
    customer_id = response.json()["id"]
    assert (event.event_type, event.key) == ("customer.created", f"customer:{customer_id}")
    assert event.payload == {"user_id": ann.id, "customer_id": customer_id, "first_name": "Thị", "last_name": "Nở"}
    assert list(event.deliveries.values_list("target", "path")) == [("notification", "/api/events/")]


def test_no_customer_no_event(ann_profile, mocked_responses, carts_url):
    _, client, body = ann_profile
    mocked_responses.post(carts_url, body=requests.ConnectionError("refused"))

    assert client.post("/api/customers/", body).status_code == 503
    assert not OutboxEvent.objects.exists()


def test_a_second_customer_of_an_account_publishes_nothing_more(ann_profile, cart_service):
    _, client, body = ann_profile
    assert client.post("/api/customers/", body).status_code == 201

    assert client.post("/api/customers/", body).status_code == 409
    assert OutboxEvent.objects.count() == 1
