"""Idempotency-Key on POST /api/payments/, as Stripe has it."""

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from common.idempotency.models import IdempotencyKey
from payments.models import Payment, PaymentTransaction
from payments.providers.sandbox import SandboxProvider
from payments.tests.conftest import CARD_INSUFFICIENT_FUNDS, OWNER, card_body, order_url, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def charges(monkeypatch):
    """The cards the provider was asked to authorize (last four digits)."""
    made = []
    real_authorize = SandboxProvider.authorize

    def counting_authorize(self, *, amount, card, reference):
        made.append(card.last4)
        return real_authorize(self, amount=amount, card=card, reference=reference)

    monkeypatch.setattr(SandboxProvider, "authorize", counting_authorize)
    return made


def test_the_key_is_required(owner_client):
    response = pay(owner_client, card_body(), key=None)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["details"]


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "ünicode"])
def test_a_bad_key_is_400_naming_the_header(owner_client, key):
    response = pay(owner_client, card_body(), key=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["details"]


def test_a_replay_returns_the_first_answer_without_charging_again(owner_client, fake_order, charges, mocked_responses):
    fake_order()

    first = pay(owner_client, card_body())
    calls = len(mocked_responses.calls)
    replay = pay(owner_client, card_body())

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert charges == ["4242"]
    assert len(mocked_responses.calls) == calls  # order_service was not asked again
    assert Payment.objects.count() == 1
    assert PaymentTransaction.objects.count() == 2  # the authorization and the charge, once


def test_a_declined_payment_is_replayed_as_declined(owner_client, fake_order, charges):
    fake_order()
    first = pay(owner_client, card_body(number=CARD_INSUFFICIENT_FUNDS))
    replay = pay(owner_client, card_body(number=CARD_INSUFFICIENT_FUNDS))
    assert replay.json() == first.json()
    assert replay.json()["status"] == "failed"
    assert len(charges) == 1


def test_the_same_key_with_another_body_is_422(owner_client, fake_order):
    fake_order()
    assert pay(owner_client, card_body()).status_code == 201

    response = pay(owner_client, {"order_id": 1, "method": "cod"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Payment.objects.count() == 1


def test_the_same_key_on_another_route_is_422(staff_client, fake_order):
    # The fingerprint covers method and path too: a key that paid cannot also refund.
    fake_order()
    payment = pay(staff_client, card_body(), key="one-key").json()

    response = staff_client.post(f"/api/payments/{payment['id']}/refund/", HTTP_IDEMPOTENCY_KEY="one-key")

    assert response.status_code == 422
    assert Payment.objects.get().status == "succeeded"


def test_keys_belong_to_their_caller(user_client, fake_order):
    fake_order(1, user_id=OWNER)
    fake_order(2, user_id=OWNER + 1)

    first = pay(user_client(OWNER), card_body(1), key="same")
    second = pay(user_client(OWNER + 1), card_body(2), key="same")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_an_error_keeps_no_key_so_the_same_request_can_be_sent_again(owner_client, mocked_responses, fake_order):
    down = mocked_responses.get(order_url(1), body=requests.ConnectionError("refused"))
    assert pay(owner_client, card_body()).status_code == 503
    assert not IdempotencyKey.objects.exists()

    mocked_responses.remove(down)
    fake_order()
    assert pay(owner_client, card_body()).status_code == 201


def test_bad_input_keeps_no_key_so_it_can_be_corrected(owner_client, fake_order):
    assert pay(owner_client, card_body(number="4242424242424241")).status_code == 400
    fake_order()
    assert pay(owner_client, card_body()).status_code == 201


def test_a_key_past_its_lifetime_is_forgotten(owner_client, fake_order, settings):
    fake_order()
    fake_order()
    assert pay(owner_client, card_body(number=CARD_INSUFFICIENT_FUNDS)).status_code == 201
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))

    response = pay(owner_client, card_body())  # same key, another body: a new request now

    assert response.status_code == 201
    assert response.json()["status"] == "succeeded"
    assert IdempotencyKey.objects.count() == 1


def test_keys_are_kept_at_least_24_hours(owner_client, fake_order):
    fake_order()
    first = pay(owner_client, card_body())
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=23, minutes=59))

    replay = pay(owner_client, card_body())

    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"


def test_a_replay_while_the_first_runs_waits_then_is_409(owner_client, settings):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.2
    from common.idempotency.keys import request_fingerprint

    IdempotencyKey.objects.create(
        caller=f"user:{OWNER}",
        key="busy",
        fingerprint=request_fingerprint(method="POST", path="/api/payments/", body=card_body()),
        created_at=timezone.now(),
    )

    response = pay(owner_client, card_body(), key="busy")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"
