"""load_demo_data: the demo staff and customer logins, idempotent, patient with cart_service."""

import io
import json

import pytest
import requests
from django.core.management import call_command

from accounts.models import Account
from common.demo import DEMO_CUSTOMER, DEMO_STAFF
from customers.models import Customer

pytestmark = pytest.mark.django_db


def answer_with_a_cart(mocked, carts_url: str) -> None:
    """cart_service up: 201 with the cart of the user_id sent."""

    def cart(request):
        return 201, {}, json.dumps({"user_id": json.loads(request.body)["user_id"], "items": []})

    mocked.add_callback("POST", carts_url, callback=cart, content_type="application/json")


def load(**options) -> str:
    out = io.StringIO()
    call_command("load_demo_data", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_creates_both_logins_and_the_customer_once(api_client, cart_service):
    output = load()
    load()

    assert Account.objects.get(username="staff").is_staff
    reader = Account.objects.get(username="reader")
    assert not reader.is_staff
    assert Customer.objects.get(account=reader).fullname.first_name == "Minh"
    assert Account.objects.count() == 2
    assert len(cart_service.calls) == 1
    assert "staff / demo-staff-7319" in output
    for login in (DEMO_STAFF, DEMO_CUSTOMER):
        body = {"username": login["username"], "password": login["password"]}
        assert api_client.post("/api/auth/login/", body).status_code == 200


def test_waits_for_cart_service_to_come_up(mocked_responses, carts_url, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    mocked_responses.post(carts_url, body=requests.ConnectionError("starting"))
    answer_with_a_cart(mocked_responses, carts_url)

    load()

    assert Customer.objects.count() == 1


def test_gives_up_on_the_cart_without_failing_and_tries_again_next_time(mocked_responses, carts_url, cart_service):
    mocked_responses.replace("POST", carts_url, body=requests.ConnectionError("down"))

    output = load(cart_wait=0)

    assert "customer pending" in output
    assert not Customer.objects.exists()
    assert Account.objects.filter(username="reader").exists()
    mocked_responses.remove("POST", carts_url)
    answer_with_a_cart(mocked_responses, carts_url)
    load(cart_wait=0)
    assert Customer.objects.count() == 1
