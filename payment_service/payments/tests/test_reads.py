"""Reading payments: one by id, those of an order, one's own."""

import pytest

from payments.tests.conftest import CARD_INSUFFICIENT_FUNDS, OWNER, card_body, pay

pytestmark = pytest.mark.django_db


def test_the_owner_and_staff_read_a_payment_and_to_others_it_is_404(
    owner_client, user_client, staff_client, api_client, paid
):
    url = f"/api/payments/{paid['id']}/"
    assert owner_client.get(url).json() == paid
    assert staff_client.get(url).status_code == 200
    assert user_client(OWNER + 1).get(url).status_code == 404  # as one that does not exist
    assert api_client.get(url).status_code == 401


@pytest.mark.parametrize("payment_id", ["999", "0", "-1", "x", str(2**63), "99999999999999999999999"])
def test_an_unknown_payment_is_404(owner_client, payment_id):
    response = owner_client.get(f"/api/payments/{payment_id}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_payments_of_an_order_newest_first(owner_client, fake_order):
    fake_order()
    fake_order()
    failed = pay(owner_client, card_body(number=CARD_INSUFFICIENT_FUNDS), key="a").json()
    succeeded = pay(owner_client, card_body(), key="b").json()

    body = owner_client.get("/api/payments/", {"order_id": 1}).json()

    assert body["count"] == 2
    assert [p["id"] for p in body["results"]] == [succeeded["id"], failed["id"]]
    assert [p["id"] for p in owner_client.get("/api/payments/", {"status": "failed"}).json()["results"]] == [
        failed["id"]
    ]


def test_a_customer_lists_only_their_own(user_client, staff_client, fake_order):
    fake_order(1, user_id=OWNER)
    fake_order(2, user_id=OWNER + 1)
    pay(user_client(OWNER), card_body(1), key="a")
    pay(user_client(OWNER + 1), card_body(2), key="b")

    mine = user_client(OWNER).get("/api/payments/").json()

    assert [p["order_id"] for p in mine["results"]] == [1]
    assert staff_client.get("/api/payments/").json()["count"] == 2
    assert staff_client.get("/api/payments/", {"user_id": OWNER + 1}).json()["results"][0]["order_id"] == 2
    assert user_client(OWNER).get("/api/payments/", {"order_id": 2}).json()["count"] == 0  # as a missing order
    assert user_client(OWNER).get("/api/payments/", {"user_id": OWNER + 1}).status_code == 403
    assert user_client(OWNER).get("/api/payments/", {"order_id": 3}).json()["count"] == 0


@pytest.mark.parametrize("query", [{"order_id": "x"}, {"order_id": 2**63}, {"status": "lost"}, {"user_id": 0}])
def test_bad_filters_are_400(owner_client, query):
    response = owner_client.get("/api/payments/", query)
    assert response.status_code == 400
    assert set(query) <= set(response.json()["error"]["details"])


def test_listing_needs_a_token(api_client):
    assert api_client.get("/api/payments/").status_code == 401
