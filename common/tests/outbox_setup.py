"""What the outbox tests share: a subscriber by URL beside notification_service, and
deliveries made due at once. The settings fixture is in conftest.py."""

from django.utils import timezone

from common.outbox.models import OutboxDelivery

SUBSCRIBER = "http://subscriber.test"
NOTIFICATION_EVENTS = "http://127.0.0.1:7000/api/events/"


def due_now() -> None:
    OutboxDelivery.objects.update(next_attempt_at=timezone.now())
