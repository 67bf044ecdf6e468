"""The admin: payments with their transaction history, records nothing edits by hand;
refunds through payments.services as the API makes them; customers by username."""

import re

import pytest
import requests
from django.conf import settings
from django.contrib import admin

from common.outbox.models import OutboxEvent
from payments.models import Payment, PaymentTransaction, SandboxCharge
from payments.tests.conftest import CARD_INSUFFICIENT_FUNDS, CARD_REFUND_FAILS, card_body, pay

pytestmark = pytest.mark.django_db


def test_payments_are_listed_filtered_by_status_and_shown_with_their_transactions(
    admin_client, owner_client, staff_client, fake_order, paid
):
    fake_order(2)
    failed = pay(owner_client, card_body(2, number=CARD_INSUFFICIENT_FUNDS), key="f").json()
    assert staff_client.post(f"/api/payments/{paid['id']}/refund/").status_code == 200

    listed = admin_client.get("/admin/payments/payment/", {"status__exact": "failed"})
    assert listed.status_code == 200
    assert [payment.pk for payment in listed.context["cl"].result_list] == [failed["id"]]
    assert admin_client.get("/admin/payments/payment/", {"q": "4242"}).context["cl"].result_count == 1

    page = admin_client.get(f"/admin/payments/payment/{paid['id']}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Payment transactions" in body
    assert "pi_sandbox_" in body  # the authorization and its capture
    assert "re_sandbox_" in body  # and the refund
    assert 'name="status"' not in body  # statuses change through the API, with the provider and events


def test_transactions_idempotency_keys_and_the_outbox_are_in_the_admin(admin_client, paid):
    assert admin_client.get("/admin/payments/paymenttransaction/", {"kind__exact": "charge"}).status_code == 200
    assert admin_client.get("/admin/idempotency/idempotencykey/").status_code == 200
    assert admin_client.get("/admin/outbox/outboxevent/").status_code == 200
    assert admin_client.get("/admin/payments/payment/add/").status_code == 403


@pytest.mark.parametrize("model", [PaymentTransaction, SandboxCharge])
def test_a_transaction_and_a_sandbox_charge_are_read_only_field_by_field(admin_client, paid, model):
    # Their admins list every field read-only from Model._meta.fields, which is not in
    # Django's documented _meta API (get_fields() is): should it change, this fails.
    concrete = {field.name for field in model._meta.get_fields() if field.concrete}
    assert set(admin.site.get_model_admin(model).readonly_fields) == concrete
    page = admin_client.get(f"/admin/payments/{model._meta.model_name}/{model.objects.first().pk}/change/")
    assert page.status_code == 200
    assert not re.search(r'<(input|select|textarea)[^>]* name="(?!csrfmiddlewaretoken|_)', page.content.decode())


PAYMENTS = "/admin/payments/payment/"
ACCOUNTS = f"{settings.SERVICE_URLS['customer']}/api/accounts/"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def refund_rows() -> list[tuple]:
    """payment.refunded as the outbox holds it, less its time: its payload and deliveries."""
    return [
        (
            {k: v for k, v in event.payload.items() if k != "refunded_at"},
            event.key,
            sorted((d.target, d.method, d.path) for d in event.deliveries.all()),
        )
        for event in OutboxEvent.objects.filter(event_type="payment.refunded")
    ]


def test_a_refund_from_the_list_is_the_apis_refund(admin_client, staff_client, paid, fake_names):
    fake_names("customer")  # the list shown after the action

    response = admin_client.post(PAYMENTS, {"action": "refund", "_selected_action": [paid["id"]]}, follow=True)
    by_admin = refund_rows()
    payment = Payment.objects.get(pk=paid["id"])
    last = payment.transactions.last()
    # The API's refund of the same payment, replayed on a copy of its state before the refund.
    OutboxEvent.objects.all().delete()
    Payment.objects.filter(pk=payment.pk).update(status="succeeded", refunded_at=None)
    SandboxCharge.objects.update(state="captured")
    assert staff_client.post(f"/api/payments/{paid['id']}/refund/").status_code == 200

    assert messages_of(response) == [f"Payment {paid['id']}: refunded (45.50 given back)"]
    assert (payment.status, last.kind, last.created_by) == ("refunded", "refund", "admin admin")
    assert by_admin == refund_rows() != []


def test_a_payment_that_is_not_succeeded_is_refused_with_the_reason(admin_client, owner_client, fake_order, fake_names):
    fake_names("customer")
    fake_order(2)
    failed = pay(owner_client, card_body(2, number=CARD_INSUFFICIENT_FUNDS), key="f").json()

    response = admin_client.post(PAYMENTS, {"action": "refund", "_selected_action": [failed["id"]]}, follow=True)

    assert messages_of(response) == [
        f"Payment {failed['id']}: refused: Only a succeeded payment can be refunded; this one is failed."
    ]
    assert not OutboxEvent.objects.filter(event_type="payment.refunded").exists()


def test_the_refund_button_is_offered_for_a_succeeded_payment_and_refuses_a_second_press(
    admin_client, paid, fake_names
):
    fake_names("customer")
    page = f"{PAYMENTS}{paid['id']}/change/"

    offered = admin_client.get(page).context["object_buttons"]
    first = admin_client.post(f"{PAYMENTS}{paid['id']}/button/", {"button": "refund"}, follow=True)
    second = admin_client.post(f"{PAYMENTS}{paid['id']}/button/", {"button": "refund"}, follow=True)

    assert [button.name for button in offered] == ["refund"]
    assert messages_of(first) == [f"Payment {paid['id']}: refunded (45.50 given back)"]
    assert messages_of(second) == [
        f"Payment {paid['id']}: refused: Only a succeeded payment can be refunded; this one is refunded."
    ]
    assert first.context["object_buttons"] == []  # refunded: nothing more to offer
    assert OutboxEvent.objects.filter(event_type="payment.refunded").count() == 1


def test_a_refund_the_provider_fails_is_a_message_and_the_payment_stays_paid(
    admin_client, owner_client, fake_order, fake_names
):
    fake_names("customer")
    fake_order(3)
    payment = pay(owner_client, card_body(3, number=CARD_REFUND_FAILS), key="r").json()

    response = admin_client.post(PAYMENTS, {"action": "refund", "_selected_action": [payment["id"]]}, follow=True)

    [message] = messages_of(response)
    assert message.startswith(f"Payment {payment['id']}: refused: The payment provider failed the refund")
    assert Payment.objects.get(pk=payment["id"]).status == "succeeded"


def test_payments_are_records_shown_with_usernames(admin_client, paid, fake_names):
    asked = fake_names("customer")

    listed = admin_client.get(PAYMENTS)
    page = admin_client.get(f"{PAYMENTS}{paid['id']}/change/")

    assert "5 · user5" in listed.content.decode()
    assert "5 · user5" in page.content.decode()
    assert asked == [[5], [5]]  # one call per page
    assert admin_client.post(f"{PAYMENTS}{paid['id']}/change/", {"status": "refunded"}).status_code == 403
    assert admin_client.get(f"{PAYMENTS}{paid['id']}/delete/").status_code == 403
    assert 'name="_save"' not in page.content.decode()
    for model in ("paymenttransaction", "sandboxcharge"):
        first = admin.site.get_model_admin(PaymentTransaction if model == "paymenttransaction" else SandboxCharge)
        assert not first.has_delete_permission(listed.wsgi_request)


def test_customer_service_down_shows_the_ids_with_a_note(admin_client, paid, mocked_responses):
    mocked_responses.get(ACCOUNTS, body=requests.ConnectionError("down"))

    listed = admin_client.get(PAYMENTS)

    assert listed.status_code == 200
    assert "5 (customer_service unavailable)" in listed.content.decode()
