"""3.1 checkout: the happy path, its cost, and every failure point leaving nothing behind."""

import re
from datetime import timedelta
from unittest import mock

import pytest
import requests
from django.db import DatabaseError
from django.utils import timezone

from common.idempotency.models import IdempotencyKey
from common.outbox.dispatcher import dispatch_once
from common.outbox.models import OutboxDelivery, OutboxEvent
from common.statements import insert
from orders.models import CheckoutLock, Order, OrderLine, ReservationIntent
from orders.tests.conftest import RESERVATIONS, cart_body, cart_items_url, cart_url

pytestmark = pytest.mark.django_db

USER = 5
TWO_LINES = [(11, 2, "10.50"), (12, 1, "99.00")]
RELEASE_URL = re.compile(rf"{RESERVATIONS}order-[0-9a-f]+/")
CONFIRM_URL = re.compile(rf"{RESERVATIONS}order-[0-9a-f]+/confirm/")
# What a checkout makes, the test database's savepoints included; among them the
# reservation intent (written, then deleted with the order), the hold confirmation
# (an outbox call: its event, its delivery, the outcome) and the Idempotency-Key's
# claim and answer.
CHECKOUT_MAX_QUERIES = 20


def fake_peers(mocked, lines=TWO_LINES, *, user_id=USER):
    mocked.get(cart_url(user_id), json=cart_body(user_id, lines))
    mocked.post(RESERVATIONS, status=201, json={"status": "reserved"})
    mocked.post(CONFIRM_URL, json={"status": "held"})
    mocked.delete(cart_items_url(user_id), status=204)


def checkout(client, user_id=USER, **headers):
    return client.post("/api/orders/", {"user_id": user_id}, format="json", **headers)


def assert_nothing_kept():
    assert not Order.objects.exists()
    assert not CheckoutLock.objects.exists()
    assert not IdempotencyKey.objects.exists()
    assert not ReservationIntent.objects.exists()


def test_checkout_copies_the_cart_into_an_order_reserves_clears_and_publishes(user_client, mocked_responses):
    fake_peers(mocked_responses)

    response = checkout(user_client(USER))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user_id"] == USER
    assert body["status"] == "pending"
    assert body["total"] == "120.00"
    assert body["lines"] == [
        {"product_id": 11, "title": "Book 11", "unit_price": "10.50", "quantity": 2, "line_total": "21.00"},
        {"product_id": 12, "title": "Book 12", "unit_price": "99.00", "quantity": 1, "line_total": "99.00"},
    ]
    assert [(h["from_status"], h["to_status"], h["changed_by"]) for h in body["history"]] == [
        ("", "pending", f"user {USER}")
    ]
    reservation = mocked_responses.calls[1].request
    order = Order.objects.get()
    assert reservation.headers["Authorization"].startswith("Bearer ")
    assert order.reservation_reference in reservation.body.decode()
    # The cart was cleared through the outbox, at once.
    clear = OutboxDelivery.objects.get(event__event_type="cart.clear")
    assert (clear.method, clear.target, clear.path) == ("DELETE", "cart", f"/api/carts/{USER}/items/")
    assert clear.delivered_at is not None
    created = OutboxEvent.objects.get(event_type="order.created")
    assert created.payload["order_id"] == order.pk
    assert created.payload["total"] == "120.00"
    assert list(created.deliveries.values_list("target", "path")) == [("notification", "/api/events/")]
    assert not CheckoutLock.objects.exists()
    # The answer is built from what was written, not read back: it must be what a read gives.
    assert user_client(USER).get(f"/api/orders/{order.pk}/").json() == body


@pytest.mark.parametrize("line_count", [1, 30])
def test_checkout_makes_four_calls_whatever_the_number_of_lines(
    user_client, mocked_responses, line_count, django_assert_max_num_queries
):
    fake_peers(mocked_responses, [(100 + i, 1, "5.00") for i in range(line_count)])
    client = user_client(USER)

    # Its statements do not grow with the lines either. The bound is what it makes
    # today (the test database's savepoints included): reading back the rows it has
    # just written, taking its own outbox rows in a transaction, or claiming its key or
    # lock by an insert in a savepoint, goes over it.
    with django_assert_max_num_queries(CHECKOUT_MAX_QUERIES):
        assert checkout(client, HTTP_IDEMPOTENCY_KEY=f"lines-{line_count}").status_code == 201

    # Read the cart, reserve, confirm the hold, clear the cart.
    assert [call.request.method for call in mocked_responses.calls] == ["GET", "POST", "POST", "DELETE"]
    assert Order.objects.get().lines.count() == line_count


def test_staff_may_check_out_any_cart(staff_client, mocked_responses):
    fake_peers(mocked_responses)
    response = checkout(staff_client)
    assert response.status_code == 201
    assert response.json()["history"][0]["changed_by"] == "staff 9000"


def unverified_client(user_id=USER):
    from common.auth import mint_access_token
    from common.testing.plugin import bearer_client

    return bearer_client(mint_access_token(user_id=user_id, username=f"user{user_id}", email_verified=False))


def test_a_person_whose_email_is_not_verified_may_not_check_out(mocked_responses):
    response = checkout(unverified_client())

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "email_not_verified"
    assert "verify-email" in response.json()["error"]["message"]
    assert len(mocked_responses.calls) == 0  # refused before the cart is read
    assert_nothing_kept()


def test_a_token_without_the_claim_counts_as_not_verified(mocked_responses):
    from rest_framework_simplejwt.tokens import AccessToken

    from common.testing.plugin import bearer_client

    token = AccessToken()
    token["user_id"], token["username"], token["is_staff"] = USER, "old", False  # as issued before the claim

    assert checkout(bearer_client(str(token))).status_code == 403


def test_with_the_setting_off_an_unverified_person_checks_out(mocked_responses, settings):
    settings.CHECKOUT_REQUIRES_VERIFIED_EMAIL = False
    fake_peers(mocked_responses)

    assert checkout(unverified_client()).status_code == 201


def test_someone_elses_cart_is_403_and_no_token_is_401(user_client, api_client):
    assert checkout(user_client(6)).status_code == 403
    assert checkout(api_client).status_code == 401
    assert_nothing_kept()


@pytest.mark.parametrize(
    "body",
    [{}, {"user_id": "abc"}, {"user_id": 0}, {"user_id": 2**70}, {"user_id": [5]}, {"user_id": None}, [1, 2]],
)
def test_bad_body_is_400_naming_user_id(user_client, body):
    response = user_client(USER).post("/api/orders/", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] in {"validation_error", "parse_error"}
    assert_nothing_kept()


def test_a_body_that_is_not_json_is_400(user_client):
    response = user_client(USER).generic("POST", "/api/orders/", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize("cart_answer", [{"status": 404}, {"json": cart_body(USER, [])}])
def test_an_empty_or_missing_cart_is_409_and_nothing_is_reserved(user_client, mocked_responses, cart_answer):
    mocked_responses.get(cart_url(USER), **cart_answer)

    response = checkout(user_client(USER))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cart_empty"
    assert len(mocked_responses.calls) == 1
    assert_nothing_kept()


def test_a_cart_without_book_details_is_503_naming_the_book_service(user_client, mocked_responses):
    mocked_responses.get(cart_url(USER), json=cart_body(USER, TWO_LINES, details_available=False))

    response = checkout(user_client(USER))

    assert response.status_code == 503
    assert response.json()["error"]["details"] == {"service": "book"}
    assert_nothing_kept()


def test_a_book_no_longer_sold_is_409_naming_it(user_client, mocked_responses):
    body = cart_body(USER, TWO_LINES)
    body["items"][1]["available"] = False
    mocked_responses.get(cart_url(USER), json=body)

    response = checkout(user_client(USER))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "product_unavailable"
    assert response.json()["error"]["details"] == {"product_ids": [12]}
    assert_nothing_kept()


@pytest.mark.parametrize(
    ("cart_answer", "status", "code"),
    [
        ({"body": requests.ConnectionError("refused")}, 503, "service_unavailable"),
        ({"body": requests.ReadTimeout("slow")}, 504, "service_timeout"),
        ({"status": 500}, 503, "service_unavailable"),
        ({"status": 403, "json": {"error": {}}}, 503, "service_unavailable"),
        ({"body": "<html>not json</html>"}, 503, "service_unavailable"),
        ({"json": {"items": "nope", "details_available": True}}, 503, "service_unavailable"),
        ({"json": {"items": [{"product_id": "11", "quantity": 1}], "details_available": True}}, 503, None),
        ({"json": {"items": [{"product_id": 11, "quantity": -1}], "details_available": True}}, 503, None),
        ({"json": [1, 2]}, 503, None),
    ],
)
def test_cart_down_slow_or_malformed_is_503_or_504_naming_cart(
    user_client, mocked_responses, cart_answer, status, code
):
    mocked_responses.get(cart_url(USER), **cart_answer)

    response = checkout(user_client(USER))

    assert response.status_code == status, response.json()
    assert response.json()["error"]["details"] == {"service": "cart"}
    if code:
        assert response.json()["error"]["code"] == code
    assert len(mocked_responses.calls) == 1  # nothing reserved
    assert_nothing_kept()


def test_inventory_short_is_409_naming_the_short_lines(user_client, mocked_responses):
    mocked_responses.get(cart_url(USER), json=cart_body(USER, TWO_LINES))
    short = {"items": [{"product_id": 12, "requested": 1, "available": 0}]}
    mocked_responses.post(
        RESERVATIONS,
        status=409,
        json={"error": {"code": "insufficient_stock", "message": "Not enough stock.", "details": short}},
    )

    response = checkout(user_client(USER))

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "insufficient_stock"
    assert error["details"] == short
    assert [call.request.method for call in mocked_responses.calls] == ["GET", "POST"]  # nothing to release
    assert_nothing_kept()


@pytest.mark.parametrize(
    ("reserve_answer", "status"),
    [({"body": requests.ConnectionError("refused")}, 503), ({"body": requests.ReadTimeout("slow")}, 504)],
)
def test_inventory_down_or_slow_releases_the_reference_and_keeps_nothing(
    user_client, mocked_responses, reserve_answer, status
):
    mocked_responses.get(cart_url(USER), json=cart_body(USER, TWO_LINES))
    mocked_responses.post(RESERVATIONS, **reserve_answer)
    # A timed-out reservation may have been made: it is released by its reference.
    mocked_responses.add("DELETE", RELEASE_URL, status=200)

    response = checkout(user_client(USER))

    assert response.status_code == status
    assert response.json()["error"]["details"] == {"service": "inventory"}
    assert mocked_responses.calls[-1].request.method == "DELETE"
    assert RELEASE_URL.match(mocked_responses.calls[-1].request.url)
    assert_nothing_kept()
    assert not OutboxEvent.objects.exists()


def test_a_release_that_fails_is_left_to_the_outbox(user_client, mocked_responses):
    mocked_responses.get(cart_url(USER), json=cart_body(USER, TWO_LINES))
    mocked_responses.post(RESERVATIONS, body=requests.ConnectionError("refused"))
    mocked_responses.add("DELETE", RELEASE_URL, body=requests.ConnectionError("x"))

    assert checkout(user_client(USER)).status_code == 503

    assert_nothing_kept()
    release = OutboxDelivery.objects.get(event__event_type="stock.release")
    assert release.method == "DELETE"
    assert release.delivered_at is None
    assert release.path.startswith("/api/warehouse/reservations/order-")


def test_a_database_error_after_reserving_releases_the_stock_and_keeps_no_order(user_client, mocked_responses):
    mocked_responses.get(cart_url(USER), json=cart_body(USER, TWO_LINES))
    mocked_responses.post(RESERVATIONS, status=201, json={})
    mocked_responses.add("DELETE", RELEASE_URL, status=200)

    def insert_failing_on_the_lines(rows):  # the order is written by then: its rollback is seen
        if isinstance(rows[0], OrderLine):
            raise DatabaseError("disk full")
        insert(rows)

    with mock.patch("orders.services.checkout.insert", side_effect=insert_failing_on_the_lines):
        response = checkout(user_client(USER))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    reserved = re.search(r"order-[0-9a-f]+", mocked_responses.calls[1].request.body.decode()).group()
    assert mocked_responses.calls[2].request.url == f"{RESERVATIONS}{reserved}/"
    assert_nothing_kept()
    assert not OutboxEvent.objects.exists()  # order.created rolled back with the order


def test_a_failed_cart_clear_keeps_the_order_and_is_retried_until_it_succeeds(user_client, mocked_responses):
    mocked_responses.get(cart_url(USER), json=cart_body(USER, TWO_LINES))
    mocked_responses.post(RESERVATIONS, status=201, json={})
    failing = mocked_responses.delete(cart_items_url(USER), status=503)

    response = checkout(user_client(USER))

    assert response.status_code == 201
    clear = OutboxDelivery.objects.get(event__event_type="cart.clear")
    assert clear.delivered_at is None
    assert clear.attempts == 1
    assert clear.next_attempt_at > timezone.now()

    # The dispatcher retries once it is due, failing again, then succeeding.
    OutboxDelivery.objects.filter(pk=clear.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert dispatch_once() >= 1
    clear.refresh_from_db()
    assert (clear.attempts, clear.delivered_at) == (2, None)
    mocked_responses.remove(failing)
    mocked_responses.delete(cart_items_url(USER), status=204)
    OutboxDelivery.objects.filter(event__event_type="cart.clear").update(next_attempt_at=timezone.now())
    dispatch_once()
    clear.refresh_from_db()
    assert clear.attempts == 3
    assert clear.delivered_at is not None
    assert Order.objects.count() == 1


def test_checkout_while_the_last_cart_is_not_cleared_is_503_without_reading_the_cart(user_client, mocked_responses):
    mocked_responses.get(cart_url(USER), json=cart_body(USER, TWO_LINES))
    mocked_responses.post(RESERVATIONS, status=201, json={})
    mocked_responses.delete(cart_items_url(USER), status=503)
    assert checkout(user_client(USER)).status_code == 201
    calls_before = len(mocked_responses.calls)

    response = checkout(user_client(USER))

    assert response.status_code == 503
    assert response.json()["error"]["details"] == {"service": "cart"}
    # It tried to clear the old cart again at once (not waiting for the backoff), and read nothing.
    assert [c.request.method for c in mocked_responses.calls[calls_before:]] == ["DELETE"]
    assert Order.objects.count() == 1


def test_a_checkout_under_way_makes_a_second_one_409(user_client):
    CheckoutLock.objects.create(user_id=USER, acquired_at=timezone.now())

    response = checkout(user_client(USER))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "checkout_in_progress"
    assert CheckoutLock.objects.count() == 1  # the other checkout's lock is left alone


def test_the_lock_of_a_checkout_that_died_is_taken_over(user_client, mocked_responses):
    CheckoutLock.objects.create(user_id=USER, acquired_at=timezone.now() - timedelta(minutes=5))
    fake_peers(mocked_responses)

    assert checkout(user_client(USER)).status_code == 201
    assert not CheckoutLock.objects.exists()
