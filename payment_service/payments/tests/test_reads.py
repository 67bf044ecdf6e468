"""Reading payments: one by id, those of an order, one's own."""

from unittest import mock

import pytest

from common.errors import ServiceUnavailable
from payments import services
from payments.tests.conftest import (
    CARD_INSUFFICIENT_FUNDS,
    OWNER,
    card_body,
    order_body,
    order_url,
    pay,
)
from payments.tests.test_lifecycle import order_status_changed

pytestmark = pytest.mark.django_db


def test_the_owner_and_staff_read_a_payment_and_to_others_it_is_404(
    owner_client, user_client, staff_client, api_client, paid
):
    url = f"/api/payments/{paid['id']}/"
    assert owner_client.get(url).json() == paid
    assert staff_client.get(url).status_code == 200
    assert user_client(OWNER + 1).get(url).status_code == 404  # as one that does not exist
    assert api_client.get(url).status_code == 401


def order_service_down(mocked_responses) -> None:
    mocked_responses.get(order_url(1), json=order_body(1))
    mocked_responses.post(order_url(1), status=503, json={"error": {"code": "x", "message": "down"}})


@pytest.mark.parametrize(
    ("body", "order_service", "status"),
    [
        (card_body(), "up", "succeeded"),
        (card_body(number=CARD_INSUFFICIENT_FUNDS), "up", "failed"),
        ({"order_id": 1, "method": "cod"}, "up", "pending"),
        (card_body(), "down", "authorized"),
    ],
)
def test_a_payments_answer_is_what_reading_it_afterwards_shows(
    owner_client, fake_order, mocked_responses, body, order_service, status
):
    # The answer is made from the payment as the request left it, not read again.
    if order_service == "up":
        fake_order()
    else:
        order_service_down(mocked_responses)

    answer = pay(owner_client, body).json()

    assert answer["status"] == status
    assert owner_client.get(f"/api/payments/{answer['id']}/").json() == answer


def test_a_payment_changed_by_an_event_while_order_service_failed_is_answered_as_it_now_is(
    owner_client, service_client, mocked_responses
):
    mocked_responses.get(order_url(1), json=order_body(1))

    def cancelled_then_down(**kwargs):
        order_status_changed(service_client, 1, "cancelled")  # marks the payment, which it answers
        raise ServiceUnavailable("order", "down")

    with mock.patch.object(services.orders, "order_take", side_effect=cancelled_then_down):
        answer = pay(owner_client, card_body()).json()

    assert answer["status"] == "authorized"
    assert owner_client.get(f"/api/payments/{answer['id']}/").json() == answer


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
