"""common.outbox.statements: the outbox's hot paths in as few statements as they need,
each doing what the ORM's did."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.outbox import dispatcher, publisher, statements
from common.outbox.models import OutboxDelivery, OutboxEvent
from tests.outbox_setup import NOTIFICATION_EVENTS


@pytest.fixture(autouse=True)
def _outbox_settings(outbox_settings):
    pass


def sql_of(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"].split()[0] for query in queries.captured_queries]


def test_the_written_statements_name_the_models_tables_and_columns():
    assert OutboxDelivery._meta.db_table == "outbox_outboxdelivery"
    assert OutboxEvent._meta.db_table == "outbox_outboxevent"
    delivery_columns = {field.column for field in OutboxDelivery._meta.concrete_fields}
    assert {"id", "event_id", "delivered_at", "parked_at", "leased_until", "next_attempt_at"} <= delivery_columns
    assert {"id", "key"} <= {field.column for field in OutboxEvent._meta.concrete_fields}


@pytest.mark.django_db(transaction=True)
def test_publishing_is_two_inserts_and_a_first_try_one_update(mocked_responses):
    mocked_responses.post(NOTIFICATION_EVENTS, json={})
    with transaction.atomic(), CaptureQueriesContext(connection) as written:
        call = publisher.schedule_call(name="x", service="notification", method="POST", path="/api/events/")
        publisher.publish("thing.happened", {})
    with CaptureQueriesContext(connection) as tried:
        assert dispatcher.deliver_now(call)

    assert sql_of(written) == ["INSERT", "INSERT", "INSERT", "INSERT"]  # each: the event, its deliveries
    assert sql_of(tried) == ["UPDATE"]


@pytest.mark.django_db(transaction=True)
def test_a_poll_that_finds_nothing_is_one_statement_outside_a_transaction():
    with CaptureQueriesContext(connection) as queries:
        assert dispatcher.dispatch_once() == 0

    assert sql_of(queries) == ["UPDATE"]


@pytest.mark.django_db(transaction=True)
def test_taking_due_deliveries_is_one_update_and_one_read(mocked_responses):
    publisher.publish("thing.happened", {})
    with CaptureQueriesContext(connection) as queries:
        taken = dispatcher.take_due(limit=10)

    assert sql_of(queries) == ["UPDATE", "SELECT"]
    assert [d.pk for d in taken] == sorted(OutboxDelivery.objects.values_list("pk", flat=True))
    assert all(d.event.event_type == "thing.happened" for d in taken)
    assert all(d.leased_until > timezone.now() for d in OutboxDelivery.objects.all())


@pytest.mark.django_db
def test_the_first_due_are_taken_first_and_a_later_one_waits():
    for n in range(4):
        publisher.schedule_call(name=f"x{n}", service="notification", method="POST", path="/x/", try_now=False)
    first, second, third, later = OutboxDelivery.objects.order_by("id")
    now = timezone.now()
    for delivery, seconds in ((first, -1), (second, -3), (third, -2), (later, 60)):
        OutboxDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now + timedelta(seconds=seconds))

    assert [d.pk for d in dispatcher.take_due(limit=2)] == [second.pk, third.pk]  # then in id order
    assert [d.pk for d in dispatcher.take_due(limit=2)] == [first.pk]
    assert [d.pk for d in dispatcher.take_due(limit=2, ignore_backoff=True)] == [later.pk]


@pytest.mark.django_db
def test_deliver_pending_takes_only_the_keys_deliveries(mocked_responses):
    mocked_responses.delete("http://127.0.0.1:7000/a/", status=204)
    for key in ("cart:1", "cart:2"):
        publisher.schedule_call(name="c", service="notification", method="DELETE", path="/a/", key=key, try_now=False)

    assert dispatcher.undelivered(key="cart:1")
    assert dispatcher.deliver_pending(key="cart:1")
    assert not dispatcher.undelivered(key="cart:1")
    assert dispatcher.undelivered(key="cart:2")
    assert len(mocked_responses.calls) == 1


@pytest.mark.django_db(transaction=True)
def test_asking_whether_a_key_waits_is_one_read():
    with CaptureQueriesContext(connection) as queries:
        assert not dispatcher.undelivered(key="cart:1")
    assert sql_of(queries) == ["SELECT"]


@pytest.mark.django_db
def test_a_parked_or_delivered_delivery_does_not_wait():
    publisher.schedule_call(name="c", service="notification", method="DELETE", path="/a/", key="cart:1")
    OutboxDelivery.objects.update(parked_at=timezone.now())
    assert not statements.waiting_for_key("cart:1")
    OutboxDelivery.objects.update(parked_at=None, delivered_at=timezone.now())
    assert not statements.waiting_for_key("cart:1")
    OutboxDelivery.objects.update(delivered_at=None)
    assert statements.waiting_for_key("cart:1")
