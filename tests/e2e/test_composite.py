"""The gateway's composite calls with every real service behind them: check out and
pay in one call, and everything about the caller in one answer."""

import itertools
import uuid

import pytest

from tests.e2e.people import Shopper, card
from tests.e2e.shop import bearer, make_books, stock

DECLINED_CARD = card("4000000000009995")
_user_ids = itertools.count(920_001)


@pytest.fixture(scope="module")
def book(stack):
    [book] = make_books(stack, [("Vợ nhặt", "40.00")], tag="composite")
    stock(stack, [book["id"]], 50)
    return book


@pytest.fixture
def customer(stack, http, book):
    """A customer (a token as customer_service issues it) with 2 of the book in the cart."""
    customer = Shopper(stack, http, next(_user_ids))
    added = customer.add(book["id"], 2)
    assert added.status_code == 201, added.text
    return customer


def test_checkout_and_pay_in_one_call_then_a_retry_changes_nothing(stack, http, customer):
    key = uuid.uuid4().hex
    first = customer.checkout_and_pay(key)
    assert first.status_code == 201, first.text
    order, payment = first.json()["order"], first.json()["payment"]
    assert order["total"] == "80.00"
    assert (payment["status"], payment["amount"], payment["order_id"]) == ("succeeded", "80.00", order["id"])
    again = customer.checkout_and_pay(key)
    assert again.status_code == 200
    assert again.json()["order"]["id"] == order["id"]
    assert again.json()["payment"]["id"] == payment["id"]
    payments = http.get(f"{stack.gateway}/api/payments/", params={"order_id": order["id"]}, headers=customer.headers)
    assert payments.json()["count"] == 1
    assert customer.view().json()["items"] == []


def test_a_declined_card_is_402_and_the_order_waits_to_be_paid(stack, http, customer):
    response = customer.checkout_and_pay(card=DECLINED_CARD)
    assert response.status_code == 402, response.text
    body = response.json()
    assert body["error"]["code"] == "payment_failed"
    assert body["payment"]["status"] == "failed"
    assert customer.order_status(body["order"]["id"]) == "pending"


def test_payment_service_down_keeps_the_order_and_says_so(stack, http, customer):
    with stack.stopped("payment"):
        response = customer.checkout_and_pay(method="cod")
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["error"]["details"] == {"service": "payment"}
    assert body["order"]["status"] == "pending"
    assert body["payment"] is None


def test_me_has_account_cart_and_orders(stack, http, book):
    shopper = Shopper.signing_up(stack, http, "me")
    username, headers = shopper.account["username"], shopper.headers
    assert shopper.add(book["id"], 1).status_code == 201
    assert shopper.checkout_and_pay(method="cod").status_code == 201
    assert shopper.add(book["id"], 3).status_code == 201

    me = http.get(f"{stack.gateway}/api/me/", headers=headers)
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["account"]["username"] == username
    assert body["customer"] is None  # no full name and address linked yet
    assert body["cart"] == {"lines": 1, "total_quantity": 3, "total_price": "120.00", "details_available": True}
    assert body["latest_orders"]["count"] == 1
    assert body["latest_orders"]["results"][0]["total"] == "40.00"
    assert body["unavailable"] == []

    with stack.stopped("cart"):
        degraded = http.get(f"{stack.gateway}/api/me/", headers=headers).json()
    assert degraded["cart"] is None
    assert degraded["unavailable"] == [{"part": "cart", "service": "cart", "code": "service_unavailable"}]
    assert degraded["account"]["username"] == username


def test_me_without_an_account_is_404(stack, http):
    response = http.get(f"{stack.gateway}/api/me/", headers=bearer(stack.token(user_id=next(_user_ids))))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "account_gone"
