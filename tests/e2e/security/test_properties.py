"""API3, broken object-property authorization: fields a client must not set (staff, prices,
totals, statuses, owners) are ignored or refused, and no answer about accounts carries
a password or its hash."""

import uuid

import jwt
import pytest
import requests

from tests.e2e.harness import JWT_SIGNING_KEY
from tests.e2e.people import PASSWORD
from tests.e2e.security import customer_with_cart
from tests.e2e.waiting import wait_until


def test_sign_up_cannot_make_itself_staff(stack, http):
    username = f"secstaff{uuid.uuid4().hex[:8]}"
    body = {"username": username, "password": PASSWORD, "email": f"{username}@example.com"}
    extra = {"is_staff": True, "is_superuser": True, "is_active": True, "id": 1, "date_joined": "2000-01-01T00:00:00Z"}

    response = http.post(f"{stack.gateway}/api/accounts/", json=body | extra)

    assert response.status_code in (201, 400), response.text
    if response.status_code == 201:
        assert response.json()["is_staff"] is False
        assert response.json()["id"] != 1
    login = http.post(f"{stack.gateway}/api/auth/login/", json={"username": username, "password": PASSWORD})
    if response.status_code == 201:
        claims = jwt.decode(login.json()["access"], JWT_SIGNING_KEY, algorithms=["HS256"])
        assert claims["is_staff"] is False


def test_a_cart_line_takes_the_catalogs_price_not_the_clients(stack, http, shop, bob):
    book = shop["book"]
    added = http.post(
        f"{stack.gateway}/api/carts/{bob['id']}/items/",
        json={"product_id": book["id"], "quantity": 1, "unit_price": "0.01", "price": "0.01", "title": "Free"},
        headers=bob["headers"],
    )
    assert added.status_code in (200, 201, 400), added.text
    cart = http.get(f"{stack.gateway}/api/carts/{bob['id']}/", headers=bob["headers"]).json()
    line = next(item for item in cart["items"] if item["product_id"] == book["id"])
    assert (line["unit_price"], line["title"]) == (book["price"], book["title"])


def test_checkout_ignores_a_total_status_and_lines_from_the_client(stack, http, shop):
    with requests.Session() as session:
        user, _ = customer_with_cart(stack, session, "secprop", shop["book"]["id"], 2)
    forged = {
        "user_id": user["id"],
        "total": "0.01",
        "status": "delivered",
        "lines": [{"product_id": shop["book"]["id"], "quantity": 99, "unit_price": "0.01"}],
    }

    response = http.post(f"{stack.gateway}/api/orders/", json=forged, headers=user["headers"])

    assert response.status_code in (201, 400), response.text
    if response.status_code == 201:
        order = response.json()
        assert (order["status"], order["total"], order["user_id"]) == ("pending", "40.00", user["id"])
        assert [(line["quantity"], line["unit_price"]) for line in order["lines"]] == [(2, "20.00")]


def test_a_payment_takes_the_orders_amount_and_owner_not_the_clients(stack, http, shop, bob):
    with requests.Session() as session:
        user, shopper = customer_with_cart(stack, session, "secpay", shop["book"]["id"], 1)
        order = shopper.place_order()
    body = {"order_id": order["id"], "method": "cod", "amount": "0.01", "status": "succeeded", "user_id": bob["id"]}

    response = http.post(
        f"{stack.gateway}/api/payments/", json=body, headers=user["headers"] | {"Idempotency-Key": uuid.uuid4().hex}
    )

    assert response.status_code in (201, 400), response.text
    if response.status_code == 201:
        payment = response.json()
        assert (payment["amount"], payment["status"], payment["user_id"]) == ("20.00", "pending", user["id"])


@pytest.mark.parametrize("resource", ["fullnames", "addresses"])
def test_a_customer_cannot_make_a_profile_part_for_another_account(stack, http, ann, bob, resource):
    body = {"first_name": "X", "last_name": "Y"} if resource == "fullnames" else {"address": "X", "city": "Y"}
    body |= {"country": "Z"} if resource == "addresses" else {}

    response = http.post(
        f"{stack.gateway}/api/{resource}/", json=body | {"account_id": ann["id"]}, headers=bob["headers"]
    )

    assert response.status_code in (201, 400, 403), response.text
    if response.status_code == 201:
        assert response.json()["account_id"] == bob["id"]
    mine = http.get(f"{stack.gateway}/api/{resource}/", params={"page_size": 100}, headers=ann["headers"]).json()
    assert {item["account_id"] for item in mine["results"]} == {ann["id"]}


def test_cancelling_cannot_change_the_total_or_owner(stack, http, shop, bob):
    with requests.Session() as session:
        user, shopper = customer_with_cart(stack, session, "seccancel", shop["book"]["id"], 1)
        order = shopper.place_order()
    body = {"status": "cancelled", "total": "0.00", "user_id": bob["id"], "lines": []}

    response = http.patch(f"{stack.gateway}/api/orders/{order['id']}/", json=body, headers=user["headers"])

    assert response.status_code in (200, 400), response.text
    after = http.get(f"{stack.gateway}/api/orders/{order['id']}/", headers=user["headers"]).json()
    assert (after["total"], after["user_id"], len(after["lines"])) == (order["total"], user["id"], 1)


def test_marking_read_cannot_rewrite_the_notification(stack, http, bob):
    notifications = wait_until(
        "B's notifications",
        lambda: http.get(f"{stack.gateway}/api/notifications/", headers=bob["headers"]).json()["results"],
    )
    target = notifications[-1]
    body = {"subject": "Forged", "body": "Forged", "user_id": 1, "read": False, "event_type": "x"}

    response = http.post(f"{stack.gateway}/api/notifications/{target['id']}/read/", json=body, headers=bob["headers"])

    assert response.status_code in (200, 400), response.text
    after = next(
        n
        for n in http.get(
            f"{stack.gateway}/api/notifications/", params={"page_size": 100}, headers=bob["headers"]
        ).json()["results"]
        if n["id"] == target["id"]
    )
    assert (after["subject"], after["body"], after["user_id"]) == (target["subject"], target["body"], bob["id"])


HASH_MARKERS = ("pbkdf2_", "argon2", "bcrypt", "scrypt", "md5$", "sha1$")


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_no_answer_about_accounts_carries_a_password_or_its_hash(stack, http, shop, ann):
    username = f"sechash{uuid.uuid4().hex[:8]}"
    staff = shop["staff"]
    answers = [
        http.post(
            f"{stack.gateway}/api/accounts/",
            json={"username": username, "password": PASSWORD, "email": f"{username}@example.com"},
        ),
        http.post(f"{stack.gateway}/api/auth/login/", json={"username": ann["username"], "password": PASSWORD}),
        http.get(f"{stack.gateway}/api/accounts/{ann['id']}/", headers=ann["headers"]),
        http.get(f"{stack.gateway}/api/accounts/{ann['id']}/", headers=staff),
        http.get(f"{stack.gateway}/api/accounts/{ann['id']}/customer/", headers=ann["headers"]),
        http.get(f"{stack.gateway}/api/customers/{ann['customer']['id']}/", headers=staff),
        http.get(f"{stack.gateway}/api/customers/", params={"search": "sec", "page_size": 100}, headers=staff),
        http.get(f"{stack.gateway}/api/me/", headers=ann["headers"]),
        http.get(f"{stack.gateway}/api/notifications/", params={"page_size": 100}, headers=ann["headers"]),
        http.get(f"{stack.url('customer')}/api/accounts/{ann['id']}/", headers=staff),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201), answer.text
        assert not any(marker in answer.text for marker in HASH_MARKERS), answer.request.url
        assert PASSWORD not in answer.text, answer.request.url
        assert not {key for key in _keys(answer.json()) if "password" in key.lower()}, answer.request.url
