"""Idempotency-Key on checkout: a retry gets the same order, never a second one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders import services
from orders.models import IdempotencyKey, Order
from orders.tests.test_checkout import USER, checkout, fake_peers

pytestmark = pytest.mark.django_db


def test_a_retry_with_the_same_key_returns_the_same_order_without_calling_anyone(user_client, mocked_responses):
    fake_peers(mocked_responses)
    client = user_client(USER)

    first = checkout(client, HTTP_IDEMPOTENCY_KEY="k-1")
    calls = len(mocked_responses.calls)
    again = checkout(client, HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(mocked_responses.calls) == calls
    assert Order.objects.count() == 1


def test_the_same_key_with_another_body_is_422(staff_client, mocked_responses):
    fake_peers(mocked_responses)
    assert checkout(staff_client, USER, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201

    response = checkout(staff_client, USER + 1, HTTP_IDEMPOTENCY_KEY="k-2")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_keys_belong_to_their_caller(user_client, mocked_responses):
    fake_peers(mocked_responses)
    fake_peers(mocked_responses, user_id=6)

    assert checkout(user_client(USER), HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    assert checkout(user_client(6), 6, HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    assert Order.objects.count() == 2


def test_a_failed_checkout_forgets_its_key_so_a_retry_can_succeed(user_client, mocked_responses):
    from orders.tests.conftest import cart_body, cart_url

    empty = mocked_responses.get(cart_url(USER), json=cart_body(USER, []))
    assert checkout(user_client(USER), HTTP_IDEMPOTENCY_KEY="k-3").status_code == 409
    assert not IdempotencyKey.objects.exists()

    mocked_responses.remove(empty)
    fake_peers(mocked_responses)
    assert checkout(user_client(USER), HTTP_IDEMPOTENCY_KEY="k-3").status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "ünicode"])
def test_a_bad_key_is_400_naming_the_header(user_client, key):
    response = checkout(user_client(USER), HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["details"]


def test_a_key_still_in_use_is_409_after_waiting(user_client, monkeypatch):
    monkeypatch.setattr(services, "IDEMPOTENCY_WAIT_SECONDS", 0.2)
    IdempotencyKey.objects.create(
        caller=f"user:{USER}",
        key="busy",
        fingerprint=services.request_fingerprint({"user_id": USER}),
        created_at=timezone.now(),
    )

    response = checkout(user_client(USER), HTTP_IDEMPOTENCY_KEY="busy")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"


def test_the_key_of_a_checkout_that_died_is_taken_over(user_client, mocked_responses):
    IdempotencyKey.objects.create(
        caller=f"user:{USER}",
        key="orphan",
        fingerprint=services.request_fingerprint({"user_id": USER}),
        created_at=timezone.now() - timedelta(minutes=5),
    )
    fake_peers(mocked_responses)

    assert checkout(user_client(USER), HTTP_IDEMPOTENCY_KEY="orphan").status_code == 201
    assert IdempotencyKey.objects.get().order_id == Order.objects.get().pk
