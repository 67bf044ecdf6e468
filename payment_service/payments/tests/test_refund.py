"""POST /api/payments/{id}/refund/ (staff): money back, payment.refunded for order_service."""

import pytest

from common.outbox.models import OutboxEvent
from payments.models import Payment, SandboxCharge
from payments.tests.conftest import CARD_INSUFFICIENT_FUNDS, CARD_REFUND_FAILS, OWNER, card_body, pay

pytestmark = pytest.mark.django_db


def refund(client, payment_id: int, **headers):
    return client.post(f"/api/payments/{payment_id}/refund/", **headers)


def test_staff_refunds_a_succeeded_payment_and_payment_refunded_is_published(staff_client, paid):
    response = refund(staff_client, paid["id"])

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "refunded"
    assert body["refunded_at"]
    assert [(t["kind"], t["status"]) for t in body["transactions"]] == [
        ("authorization", "succeeded"),
        ("charge", "succeeded"),
        ("refund", "succeeded"),
    ]
    assert body["transactions"][2]["provider_reference"].startswith("re_sandbox_")
    assert SandboxCharge.objects.get().state == "refunded"
    event = OutboxEvent.objects.get(event_type="payment.refunded")
    assert event.payload | {"refunded_at": None} == {
        "payment_id": paid["id"],
        "order_id": 1,
        "user_id": OWNER,
        "amount": "45.50",
        "method": "card",
        "status": "refunded",
        "refunded_at": None,
    }
    assert event.key == "order:1"


def test_a_refunded_payment_cannot_be_refunded_again(staff_client, paid):
    assert refund(staff_client, paid["id"]).status_code == 200

    again = refund(staff_client, paid["id"])

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "payment_not_refundable"
    assert again.json()["error"]["details"] == {"status": "refunded"}
    assert OutboxEvent.objects.filter(event_type="payment.refunded").count() == 1


def test_a_refund_replayed_with_its_key_answers_the_same(staff_client, paid):
    first = refund(staff_client, paid["id"], HTTP_IDEMPOTENCY_KEY="refund-1")
    replay = refund(staff_client, paid["id"], HTTP_IDEMPOTENCY_KEY="refund-1")
    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"


def test_a_customer_cannot_refund_even_their_own_payment(owner_client, api_client, paid):
    assert refund(owner_client, paid["id"]).status_code == 403
    assert refund(api_client, paid["id"]).status_code == 401
    assert Payment.objects.get().status == "succeeded"


def test_a_failed_payment_cannot_be_refunded(staff_client, owner_client, fake_order):
    fake_order()
    failed = pay(owner_client, card_body(number=CARD_INSUFFICIENT_FUNDS)).json()

    response = refund(staff_client, failed["id"])

    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"status": "failed"}


def test_a_pending_cash_payment_cannot_be_refunded(staff_client, owner_client, fake_order):
    fake_order()
    cod = pay(owner_client, {"order_id": 1, "method": "cod"}).json()
    assert refund(staff_client, cod["id"]).status_code == 409


def test_a_refund_the_provider_fails_is_503_and_the_payment_stays_paid(staff_client, owner_client, fake_order):
    fake_order()
    payment = pay(owner_client, card_body(number=CARD_REFUND_FAILS)).json()
    assert payment["status"] == "succeeded"

    response = refund(staff_client, payment["id"])

    assert response.status_code == 503
    assert response.json()["error"]["details"] == {"service": "payment_provider"}
    body = staff_client.get(f"/api/payments/{payment['id']}/").json()
    assert body["status"] == "succeeded"
    kinds = [(t["kind"], t["status"]) for t in body["transactions"]]
    assert kinds == [("authorization", "succeeded"), ("charge", "succeeded"), ("refund", "failed")]
    assert SandboxCharge.objects.get().state == "captured"
    assert not OutboxEvent.objects.filter(event_type="payment.refunded").exists()


@pytest.mark.parametrize("payment_id", ["999", "0", str(2**63), "99999999999999999999"])
def test_an_unknown_payment_is_404(staff_client, payment_id):
    assert staff_client.post(f"/api/payments/{payment_id}/refund/").status_code == 404
