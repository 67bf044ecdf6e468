"""A new account is told to notification_service through the outbox (account.created),
in the transaction that creates it."""

import pytest

from common.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_signing_up_publishes_account_created_with_the_address(api_client):
    response = api_client.post(
        "/api/accounts/", {"username": "thino", "password": "a-long-enough-pass", "email": "Thi.No@Example.com"}
    )

    assert response.status_code == 201
    event = OutboxEvent.objects.get(event_type="account.created")
    account_id = response.json()["id"]
    assert event.key == f"account:{account_id}"
    assert event.payload == {"user_id": account_id, "username": "thino", "email": "thi.no@example.com"}
    assert list(event.deliveries.values_list("target", "path")) == [("notification", "/api/events/")]
    # and its email's verification link, in the same transaction (tests/test_email_links.py)
    assert OutboxEvent.objects.filter(event_type="account.verification_requested", key=event.key).count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"username": "thino", "password": "short", "email": "thi.no@example.com"},
        {"username": "taken", "password": "a-long-enough-pass", "email": "other@example.com"},
    ],
)
def test_a_refused_sign_up_publishes_nothing(api_client, make_account, body):
    make_account("taken")
    OutboxEvent.objects.all().delete()

    response = api_client.post("/api/accounts/", body)

    assert response.status_code in (400, 409)
    assert not OutboxEvent.objects.exists()
