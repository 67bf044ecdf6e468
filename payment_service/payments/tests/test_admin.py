"""The admin: payments with their transaction history, read-only."""

import re

import pytest
from django.contrib import admin

from payments.models import PaymentTransaction, SandboxCharge
from payments.tests.conftest import CARD_INSUFFICIENT_FUNDS, card_body, pay

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
