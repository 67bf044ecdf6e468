"""common.statements: rows written and read by statements made once per process, as the
ORM writes and reads them (on the outbox's rows here; each service's own in its
suite)."""

import pytest
from django.db import DatabaseError, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.db import quoted_column
from common.outbox import publisher
from common.outbox.models import OutboxDelivery, OutboxEvent
from common.statements import ReadByKey, fields_save, statement_by_key, update_by_key


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


def _call() -> publisher.ScheduledCall:
    return publisher.schedule_call(name="x", service="notification", method="POST", path="/x/", key="x:1")


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


@pytest.mark.django_db
def test_an_update_by_key_changes_the_row_its_condition_allows_as_update_does():
    delivery = publisher.schedule_call(
        name="x", service="notification", method="POST", path="/x/", key="x:1"
    ).deliveries[0]
    now = timezone.now()
    unparked = f" AND {quoted_column(OutboxDelivery, 'parked_at')} IS NULL"

    with CaptureQueriesContext(transaction.get_connection()) as queries:
        assert update_by_key(OutboxDelivery, delivery.pk, {"attempts": 2, "leased_until": now}, condition=unparked) == 1
    assert len(queries) == 1
    assert OutboxDelivery.objects.filter(pk=delivery.pk, attempts=2, leased_until=now).exists()
    assert update_by_key(OutboxDelivery, "x", {"attempts": 3}, key="path") == 0  # its path is /x/
    OutboxDelivery.objects.filter(pk=delivery.pk).update(parked_at=now)
    assert update_by_key(OutboxDelivery, delivery.pk, {"attempts": 4}, condition=unparked) == 0
    assert OutboxDelivery.objects.get(pk=delivery.pk).attempts == 2


@pytest.mark.django_db
def test_fields_save_writes_only_the_fields_named_and_refuses_a_row_gone():
    delivery = publisher.schedule_call(
        name="x", service="notification", method="POST", path="/x/", key="x:1"
    ).deliveries[0]
    delivery.attempts, delivery.last_error = 3, "not saved"
    fields_save(delivery, ("attempts",))
    stored = OutboxDelivery.objects.get(pk=delivery.pk)
    assert (stored.attempts, stored.last_error) == (3, "")
    OutboxDelivery.objects.filter(pk=delivery.pk).delete()
    with pytest.raises(DatabaseError):
        fields_save(delivery, ("attempts",))


@pytest.mark.django_db
def test_a_read_by_key_gives_what_the_queryset_gives_for_each_key():
    deliveries = ReadByKey(lambda refusals: OutboxDelivery.objects.filter(refusals__gte=refusals).order_by("id"))
    publisher.publish("thing.happened", {})
    _call()
    OutboxDelivery.objects.filter(pk=OutboxDelivery.objects.order_by("id")[0].pk).update(refusals=2)
    for refusals in (0, 1, 2, 0):
        expected = list(OutboxDelivery.objects.filter(refusals__gte=refusals).order_by("id"))
        found = deliveries(refusals)
        assert [_fields(row) for row in found] == [_fields(row) for row in expected]
        assert all(not row._state.adding for row in found)
    assert deliveries(3) == []


def test_a_statement_by_key_takes_the_key_as_its_one_parameter():
    sql = statement_by_key(lambda delivery_id: OutboxDelivery.objects.filter(pk=delivery_id).order_by())
    assert sql() == OutboxDelivery.objects.filter(pk=7).order_by().query.sql_with_params()[0]
    two = statement_by_key(lambda delivery_id: OutboxDelivery.objects.filter(pk=delivery_id, attempts=delivery_id + 1))
    with pytest.raises(ValueError, match="one parameter"):
        two()
