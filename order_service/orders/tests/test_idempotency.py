"""Idempotency-Key on checkout (common.idempotency): a retry gets the same order, never
a second one, even when the process died right after the order was saved."""

from datetime import timedelta

import pytest
from django.utils import timezone

from common.idempotency.keys import request_fingerprint
from common.idempotency.models import IdempotencyKey
from orders.models import Order
from orders.tests.conftest import cart_body, cart_url
from orders.tests.test_checkout import USER, checkout, fake_peers

pytestmark = pytest.mark.django_db


def test_a_retry_with_the_same_key_replays_the_same_order_without_calling_anyone(user_client, mocked_responses):
    fake_peers(mocked_responses)
    client = user_client(USER)

    first = checkout(client, HTTP_IDEMPOTENCY_KEY="k-1")
    calls = len(mocked_responses.calls)
    again = checkout(client, HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert (first.get("Idempotent-Replayed"), again["Idempotent-Replayed"]) == (None, "true")
    assert again.json() == first.json()
    assert len(mocked_responses.calls) == calls
    assert Order.objects.count() == 1


def test_the_answer_is_kept_in_the_orders_own_transaction(user_client, mocked_responses):
    # If the process died right after the order's commit, a replay would still find it:
    # the key holds the answer as soon as the order exists, before the cart is cleared.
    fake_peers(mocked_responses)
    seen_at_clearing = []

    def clear(request):
        seen_at_clearing.append(IdempotencyKey.objects.get(key="k-atomic").response_status)
        return 204, {}, ""

    mocked_responses.replace("DELETE", f"{cart_url(USER).rstrip('/')}/items/", body="")
    mocked_responses.remove("DELETE", f"{cart_url(USER).rstrip('/')}/items/")
    mocked_responses.add_callback("DELETE", f"{cart_url(USER).rstrip('/')}/items/", callback=clear)

    assert checkout(user_client(USER), HTTP_IDEMPOTENCY_KEY="k-atomic").status_code == 201
    assert seen_at_clearing == [201]


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


def unfinished_key(key: str, *, age: timedelta) -> IdempotencyKey:
    body = {"user_id": USER}
    return IdempotencyKey.objects.create(
        caller=f"user:{USER}",
        key=key,
        fingerprint=request_fingerprint(method="POST", path="/api/orders/", body=body),
        created_at=timezone.now() - age,
    )


def test_a_key_still_in_use_is_409_after_waiting(user_client, settings):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.2
    unfinished_key("busy", age=timedelta(0))

    response = checkout(user_client(USER), HTTP_IDEMPOTENCY_KEY="busy")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"


def test_the_key_of_a_checkout_that_died_before_its_order_is_taken_over(user_client, mocked_responses):
    unfinished_key("orphan", age=timedelta(minutes=5))
    fake_peers(mocked_responses)

    response = checkout(user_client(USER), HTTP_IDEMPOTENCY_KEY="orphan")

    assert response.status_code == 201
    assert IdempotencyKey.objects.get().response_body["id"] == Order.objects.get().pk
