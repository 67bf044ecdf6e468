"""account.deleted: the card's brand and last digits leave the person's payments, which
stay for the shop's accounts; the account's tokens are refused here from then on."""

import pytest

from common.testing.account_events import hear, token_from_before
from common.testing.plugin import bearer_client
from payments.models import Payment

pytestmark = pytest.mark.django_db


def test_a_deleted_account_s_payments_keep_their_money_but_not_the_card(
    service_client, paid, django_capture_on_commit_callbacks
):
    other = Payment.objects.create(
        order_id=2, user_id=6, amount=1, method="card", status="succeeded", card_brand="visa", card_last4="4242"
    )
    token = token_from_before(5)

    hear(service_client, "account.deleted", 5, django_capture_on_commit_callbacks)

    payment = Payment.objects.get(pk=paid["id"])
    assert (payment.card_brand, payment.card_last4) == ("", "")
    assert (payment.status, str(payment.amount), payment.provider_reference) == (
        paid["status"],
        paid["amount"],
        payment.provider_reference or "",
    )
    assert payment.provider_reference  # the refund still finds the charge
    other.refresh_from_db()
    assert other.card_last4 == "4242"
    assert bearer_client(token).get(f"/api/payments/{paid['id']}/").status_code == 401
