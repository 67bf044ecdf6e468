"""common.outbox.services, as the admin's actions use them: undelivered deliveries tried
again now (failing or parked), waiting ones parked; one under a try is left to it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from common.outbox import dispatcher, publisher, services
from common.outbox.models import OutboxDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox_settings(outbox_settings):
    pass


def states() -> dict[int, tuple]:
    return {d.pk: (d.attempts, d.parked_at is not None) for d in OutboxDelivery.objects.all()}


def test_retry_now_ends_the_backoff_of_failing_ones_and_unparks_parked_ones(admin_client):
    publisher.publish("thing.happened", {})
    publisher.publish("thing.happened", {})
    failing, parked, delivered, under_a_try = OutboxDelivery.objects.order_by("id")
    later = timezone.now() + timedelta(hours=1)
    OutboxDelivery.objects.filter(pk=failing.pk).update(attempts=4, next_attempt_at=later, last_error="HTTP 503")
    OutboxDelivery.objects.filter(pk=parked.pk).update(attempts=5, refusals=5, parked_at=timezone.now())
    OutboxDelivery.objects.filter(pk=delivered.pk).update(attempts=1, delivered_at=timezone.now())
    OutboxDelivery.objects.filter(pk=under_a_try.pk).update(attempts=2, next_attempt_at=later, leased_until=later)

    answer = admin_client.post(
        "/admin/outbox/outboxdelivery/",
        {"action": "retry_now", "_selected_action": [failing.pk, parked.pk, delivered.pk, under_a_try.pk]},
        follow=True,
    )

    assert "2 of 4 selected deliveries will be retried now" in answer.content.decode()
    assert states() == {
        failing.pk: (0, False),
        parked.pk: (0, False),
        delivered.pk: (1, False),
        under_a_try.pk: (2, False),
    }
    due = {d.pk for d in dispatcher.take_due(limit=10)}
    assert due == {failing.pk, parked.pk}  # due at once, without waiting for the backoff


def test_park_and_retry_parked_leave_delivered_and_leased_ones(admin_client):
    publisher.publish("thing.happened", {})
    waiting, leased = OutboxDelivery.objects.order_by("id")
    OutboxDelivery.objects.filter(pk=leased.pk).update(leased_until=timezone.now() + timedelta(minutes=1))

    assert services.deliveries_park(deliveries=OutboxDelivery.objects.all()) == 1
    assert services.deliveries_retry(deliveries=OutboxDelivery.objects.all(), parked_only=True) == 1
    assert states() == {waiting.pk: (0, False), leased.pk: (0, False)}


@pytest.mark.parametrize("model", ["outbox/outboxevent", "outbox/outboxdelivery", "outbox/processedevent"])
def test_outbox_records_are_not_added_edited_or_deleted_by_hand(admin_client, model):
    publisher.publish("thing.happened", {})
    row = {
        "outbox/outboxevent": lambda: OutboxDelivery.objects.first().event_id,
        "outbox/outboxdelivery": lambda: OutboxDelivery.objects.first().pk,
        "outbox/processedevent": None,
    }[model]

    assert admin_client.get(f"/admin/{model}/add/").status_code == 403
    if row is not None:
        assert admin_client.get(f"/admin/{model}/{row()}/change/").status_code == 200
        assert admin_client.post(f"/admin/{model}/{row()}/change/", {}).status_code == 403
        assert admin_client.get(f"/admin/{model}/{row()}/delete/").status_code == 403


def test_idempotency_keys_are_not_added_by_hand(admin_client):
    assert admin_client.get("/admin/idempotency/idempotencykey/add/").status_code == 403
