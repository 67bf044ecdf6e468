"""common.statements: rows written by statements made once per process, as the ORM
writes them (the outbox's events and deliveries here; each service's own rows in its
suite)."""

import pytest
from django.db import transaction

from common.outbox import publisher
from common.outbox.models import OutboxDelivery, OutboxEvent


@pytest.fixture(autouse=True)
def _outbox_settings(outbox_settings):
    pass


@pytest.mark.django_db
def test_an_event_is_written_as_create_and_bulk_create_wrote_it():
    event = publisher.publish("thing.happened", {"n": 1, "text": "Chí Phèo"}, key="thing:1")

    stored = OutboxEvent.objects.get()
    assert (stored.id, stored.kind, stored.event_type, stored.key, stored.payload, stored.traceparent) == (
        event.id,
        "event",
        "thing.happened",
        "thing:1",
        {"n": 1, "text": "Chí Phèo"},
        "",
    )
    assert stored.created_at == event.created_at
    deliveries = list(OutboxDelivery.objects.order_by("id"))
    assert [(d.pk, d.target, d.method, d.path) for d in deliveries] == [
        (d.pk, d.target, d.method, d.path) for d in sorted(event.deliveries.all(), key=lambda d: d.pk)
    ]
    assert {(d.attempts, d.refusals, d.last_error, d.last_status, d.delivered_at, d.parked_at) for d in deliveries} == {
        (0, 0, "", None, None, None)
    }


@pytest.mark.django_db
def test_the_ids_written_are_the_instances_ids():
    with transaction.atomic():
        call = publisher.schedule_call(name="x", service="notification", method="POST", path="/x/", key="x:1")
        event = publisher.publish("thing.happened", {})

    assert call.deliveries[0].pk == OutboxDelivery.objects.get(event_id=call.event.id).pk
    stored = dict(OutboxDelivery.objects.filter(event_id=event.id).values_list("target", "id"))
    assert stored == {d.target: d.pk for d in OutboxDelivery.objects.filter(event_id=event.id)}
    assert len(set(stored.values())) == 2
