"""A payment and its order's life: authorize, let the order take it, capture or void;
what a cancelled order, a peer down and a crash half-way leave behind. The invariant
in every test: the sandbox's books never show money taken for an order that did not
take the payment, and what was captured is paid or refunded."""

import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from common.outbox.models import OutboxEvent
from payments import services
from payments.models import Payment, SandboxCharge
from payments.tests.conftest import OWNER, card_body, order_body, order_url, pay

pytestmark = pytest.mark.django_db


def books() -> list[str]:
    return list(SandboxCharge.objects.values_list("state", flat=True))


def event_types() -> list[str]:
    return list(OutboxEvent.objects.order_by("created_at").values_list("event_type", flat=True))


def order_status_changed(client, order_id: int, to_status: str):
    envelope = {
        "id": str(uuid.uuid4()),
        "type": "order.status_changed",
        "source": "order",
        "occurred_at": timezone.now().isoformat(),  # older than PROCESSED_EVENTS_KEEP_DAYS is refused
        "payload": {
            "order_id": order_id,
            "user_id": OWNER,
            "from_status": "paid",
            "to_status": to_status,
            "changed_at": "2026-01-01T00:00:00Z",
            "changed_by": "staff 9000",
        },
    }
    return client.post("/api/events/", envelope, format="json")


def age_everything(settings) -> None:
    """Every payment is older than PAYMENT_RECOVERY_SECONDS."""
    settings.PAYMENT_RECOVERY_SECONDS = 60
    Payment.objects.update(updated_at=timezone.now() - timedelta(seconds=61))


def test_an_order_cancelled_before_the_payment_takes_it_is_not_charged(owner_client, mocked_responses):
    # The cancel won the race: order_service refuses to let the payment take the order.
    mocked_responses.get(order_url(1), json=order_body(1))
    mocked_responses.post(
        order_url(1),
        status=409,
        json={"error": {"code": "order_not_payable", "message": "no", "details": {"status": "cancelled"}}},
    )

    response = pay(owner_client, card_body())

    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["details"]["order_status"]) == ("order_not_payable", "cancelled")
    payment = Payment.objects.get()
    assert (payment.status, payment.failure_code) == ("failed", "order_not_payable")
    assert [t.kind for t in payment.transactions.all()] == ["authorization", "void"]
    assert books() == ["voided"]
    assert event_types() == ["payment.failed"]


def test_with_order_service_down_the_payment_stays_authorized_and_the_sweep_captures(
    owner_client, mocked_responses, settings
):
    mocked_responses.get(order_url(1), json=order_body(1))
    take = mocked_responses.post(order_url(1), status=503, json={"error": {"code": "x", "message": "down"}})

    response = pay(owner_client, card_body())

    assert (response.status_code, response.json()["status"]) == (201, "authorized")
    assert books() == ["authorized"]
    assert services.payments_recover() == 0  # not old enough yet

    age_everything(settings)
    mocked_responses.remove(take)
    mocked_responses.post(order_url(1), json=order_body(1, status="paid"))
    assert services.payments_recover() == 1

    assert Payment.objects.get().status == "succeeded"
    assert books() == ["captured"]
    assert event_types() == ["payment.succeeded"]


def test_the_sweep_voids_an_authorized_payment_whose_order_was_cancelled_meanwhile(
    owner_client, mocked_responses, settings
):
    mocked_responses.get(order_url(1), json=order_body(1))
    take = mocked_responses.post(order_url(1), status=503, json={})
    pay(owner_client, card_body())
    age_everything(settings)
    mocked_responses.remove(take)
    mocked_responses.post(
        order_url(1), status=409, json={"error": {"code": "order_not_payable", "details": {"status": "cancelled"}}}
    )

    assert services.payments_recover() == 1

    assert (Payment.objects.get().status, books()) == ("failed", ["voided"])


def test_a_card_payment_interrupted_before_its_authorization_was_recorded_is_voided(settings, owner_client):
    # The process died between asking the provider and recording its answer.
    payment = Payment.objects.create(
        order_id=1, user_id=OWNER, amount="10.00", method="card", status="processing", provider="sandbox"
    )
    SandboxCharge.objects.create(
        reference=payment.reference, provider_reference="pi_sandbox_x", amount="10.00", state="authorized"
    )
    age_everything(settings)

    assert services.payments_recover() == 1

    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("failed", "processing_error")
    assert books() == ["voided"]


def test_a_payment_the_sweep_gave_up_on_during_its_authorization_is_voided(
    owner_client, fake_order, django_capture_on_commit_callbacks
):
    fake_order()
    provider = services.get_provider()
    real_authorize = provider.authorize

    def swept_during_authorization(*, amount, card, reference):
        # The sweep takes the payment for interrupted (nothing held yet) while the bank holds the amount.
        payment_id = int(reference.removeprefix("payment-"))
        services._interrupted_settle(payment_id, result=provider.void(reference=reference))
        return real_authorize(amount=amount, card=card, reference=reference)

    provider.authorize = swept_during_authorization
    with (
        mock.patch.object(services, "get_provider", return_value=provider),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = pay(owner_client, card_body())

    body = response.json()
    assert (response.status_code, body["status"], body["failure_code"]) == (201, "failed", "processing_error")
    assert [(t["kind"], t["status"]) for t in body["transactions"]] == [("void", "succeeded")]
    assert books() == ["voided"]  # the request's lost authorization given up after its commit
    assert event_types() == ["payment.failed"]


def test_a_payment_captured_but_not_recorded_is_recorded_once(paid, settings, mocked_responses):
    # The capture reached the provider, then the process died before recording it.
    Payment.objects.filter(pk=paid["id"]).update(status="authorized")
    age_everything(settings)
    mocked_responses.post(order_url(1), json=order_body(1, status="paid"))

    assert services.payments_recover() == 1

    assert Payment.objects.get().status == "succeeded"
    assert books() == ["captured"]  # captured once: the repeated capture took nothing more


def test_a_paid_order_cancelled_by_staff_is_refunded_by_itself_and_notified(paid, service_client, settings):
    assert order_status_changed(service_client, 1, "cancelled").json()["status"] == "processed"
    assert Payment.objects.get().status == "refunding"

    age_everything(settings)  # the refund right after the commit is the fast path; the sweep makes sure
    assert services.payments_recover() == 1

    payment = Payment.objects.get()
    assert (payment.status, payment.order_cancelled) == ("refunded", True)
    assert books() == ["refunded"]
    assert event_types()[-1] == "payment.refunded"


def test_a_refund_the_provider_fails_is_tried_until_it_is_made(owner_client, fake_order, service_client, settings):
    fake_order()
    pay(owner_client, card_body(number="4000000000005126"))  # its refunds fail at the sandbox
    order_status_changed(service_client, 1, "cancelled")
    age_everything(settings)

    assert services.payments_recover() == 0
    assert Payment.objects.get().status == "refunding"  # not given up on

    SandboxCharge.objects.update(refund_fails=False)  # the provider is fixed
    age_everything(settings)
    assert services.payments_recover() == 1
    assert Payment.objects.get().status == "refunded"


def test_a_cancel_while_the_capture_is_under_way_is_refunded_after_it(owner_client, fake_order, service_client):
    fake_order()
    real_capture = services.get_provider().capture

    def cancelled_during_capture(*, reference):
        result = real_capture(reference=reference)
        # The cancel's event arrives while the capture is at the provider.
        assert order_status_changed(service_client, 1, "cancelled").status_code == 200
        return result

    provider = services.get_provider()
    provider.capture = cancelled_during_capture
    with mock.patch.object(services, "get_provider", return_value=provider):
        response = pay(owner_client, card_body())

    assert response.json()["status"] == "refunding"
    assert Payment.objects.get().order_cancelled


def test_an_authorized_payment_told_of_the_cancel_voids_instead_of_capturing(
    owner_client, fake_order, service_client, mocked_responses
):
    fake_order()
    real_take = services.orders.order_take

    def take_then_cancelled(**kwargs):
        order = real_take(**kwargs)
        order_status_changed(service_client, 1, "cancelled")
        return order

    with mock.patch.object(services.orders, "order_take", side_effect=take_then_cancelled):
        response = pay(owner_client, card_body())

    assert response.status_code == 409
    assert books() == ["voided"]
    assert "payment.succeeded" not in event_types()


def test_cash_on_delivery_is_cancelled_with_its_order_and_collected_on_delivery(
    owner_client, fake_order, service_client
):
    fake_order(1)
    fake_order(2)
    first = pay(owner_client, {"order_id": 1, "method": "cod"}, key="a").json()
    second = pay(owner_client, {"order_id": 2, "method": "cod"}, key="b").json()
    assert first["status"] == second["status"] == "pending"

    order_status_changed(service_client, 1, "cancelled")
    order_status_changed(service_client, 2, "delivered")

    assert Payment.objects.get(pk=first["id"]).status == "cancelled"
    assert Payment.objects.get(pk=second["id"]).status == "succeeded"
    assert event_types() == ["payment.succeeded"]  # the cash of order 2


def test_other_order_changes_leave_the_payment_alone(paid, service_client):
    assert order_status_changed(service_client, 1, "shipped").json()["status"] == "processed"
    assert order_status_changed(service_client, 424242, "cancelled").json()["status"] == "processed"
    assert Payment.objects.get().status == "succeeded"
