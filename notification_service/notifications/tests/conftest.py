import uuid

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from common.events import CONTRACTS, payload_of

CUSTOMER_URL = django_settings.SERVICE_URLS["customer"]


def account_url(user_id: int) -> str:
    return f"{CUSTOMER_URL}/api/accounts/{user_id}/"


def envelope(event_type: str, payload: dict, *, event_id: uuid.UUID | None = None) -> dict:
    return {
        "id": str(event_id or uuid.uuid4()),
        "type": event_type,
        "source": "test",
        "occurred_at": timezone.now().isoformat(),  # older than PROCESSED_EVENTS_KEEP_DAYS is refused
        "payload": payload,
    }


# An event of each type as its publisher writes it (common.events' examples).
PAYLOADS = {event_type: contract.example for event_type, contract in CONTRACTS.items()}


@pytest.fixture(autouse=True)
def _notification_settings(settings):
    # Tests send emails themselves (services or the sweep); a background thread
    # would race the test's database.
    settings.NOTIFICATION_SEND_AT_ONCE = False
    settings.NOTIFICATION_LANGUAGE = "en"
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_EMAIL_BACKOFF_SECONDS = 30
    settings.NOTIFICATION_EMAIL_BACKOFF_MAX_SECONDS = 100


@pytest.fixture(autouse=True)
def _no_addresses_kept():
    """Each test starts with no address kept from another (customers.ADDRESSES: this
    process's memory, which the common plugin's clearing of the default cache misses)."""
    from notifications.clients.customers import ADDRESSES

    ADDRESSES.clear()


@pytest.fixture
def make_notification(db):
    """make_notification(user_id=5, event_type="payment.succeeded", ...) -> a notification as an event leaves it."""
    from notifications import services
    from notifications.models import Notification

    def make(*, user_id: int = 5, event_type: str = "payment.succeeded", **overrides):
        notification = services.notification_create_from_event(
            event_id=uuid.uuid4(),
            event_type=event_type,
            payload=payload_of(event_type, {**PAYLOADS[event_type], "user_id": user_id}),
        )
        assert notification is not None  # made for an account that is not deleted
        if overrides:
            Notification.objects.filter(pk=notification.pk).update(**overrides)
            notification.refresh_from_db()
        return notification

    return make
