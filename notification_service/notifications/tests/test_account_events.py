"""account.deleted: the person's notifications (and the address their emails went to)
go, and an event about them arriving later makes none; the account's tokens are refused
here from then on."""

import pytest

from common.testing.account_events import hear, token_from_before
from common.testing.plugin import bearer_client
from notifications import services
from notifications.clients.customers import ADDRESSES, _cache_key
from notifications.models import Notification
from notifications.tests.conftest import PAYLOADS, envelope

pytestmark = pytest.mark.django_db


def test_a_deleted_account_s_notifications_and_address_go(
    service_client, make_notification, django_capture_on_commit_callbacks
):
    make_notification(user_id=5, event_type="account.created")
    make_notification(user_id=5, event_type="order.created")
    kept = make_notification(user_id=6)
    ADDRESSES.set(_cache_key(5), "thi.no@example.com")
    token = token_from_before(5)

    hear(service_client, "account.deleted", 5, django_capture_on_commit_callbacks)

    assert list(Notification.objects.values_list("pk", flat=True)) == [kept.pk]
    assert ADDRESSES.get(_cache_key(5)) is None
    assert bearer_client(token).get("/api/notifications/").status_code == 401


def test_an_event_about_a_deleted_account_arriving_later_makes_nothing(
    service_client, django_capture_on_commit_callbacks
):
    hear(service_client, "account.deleted", 5, django_capture_on_commit_callbacks)

    late = service_client.post(
        "/api/events/", envelope("account.created", {**PAYLOADS["account.created"], "user_id": 5}), format="json"
    )

    assert late.json()["status"] == "processed"
    assert not Notification.objects.exists()
    assert services.notification_emails_send_due() == 0
