import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.db import create_unless_present, insert_head, one_snapshot, quoted_column, quoted_table
from common.idempotency.models import IdempotencyKey
from common.outbox.models import OutboxDelivery, OutboxEvent

pytestmark = pytest.mark.django_db


def claim(key: str, fingerprint: str = "f1"):
    now = timezone.now()
    return create_unless_present(
        IdempotencyKey, unique=("caller", "key"), caller="user:1", key=key, fingerprint=fingerprint, created_at=now
    )


def test_a_new_row_is_created_and_returned_as_stored():
    made = claim("k1")
    stored = IdempotencyKey.objects.get()
    assert made.pk == stored.pk
    assert (made.caller, made.key, made.fingerprint, made.created_at) == (
        stored.caller,
        stored.key,
        stored.fingerprint,
        stored.created_at,
    )
    assert made.response_status is None  # the fields not given take their defaults
    made.fingerprint = "f2"
    made.save()  # the instance is a stored row: saving updates it, not a second insert
    assert IdempotencyKey.objects.get().fingerprint == "f2"


def test_an_existing_row_is_none_and_left_as_it_was():
    first = claim("k1", "f1")
    assert claim("k1", "other") is None
    assert list(IdempotencyKey.objects.values_list("pk", "fingerprint")) == [(first.pk, "f1")]
    assert claim("k2") is not None  # the unique fields decide, not the table


def test_a_conflict_leaves_the_surrounding_transaction_usable():
    claim("k1")
    with transaction.atomic():
        assert claim("k1") is None
        # An IntegrityError here would have aborted the transaction (PostgreSQL refuses
        # every statement after one); nothing was raised, so it goes on.
        assert IdempotencyKey.objects.count() == 1


def test_fields_left_out_get_their_defaults_and_auto_now_add_as_create_gives_them():
    before = timezone.now()
    made = create_unless_present(OutboxEvent, unique=("id",), event_type="thing.happened")
    stored = OutboxEvent.objects.get()
    assert made.pk == stored.pk  # the primary key's default (a uuid4), sent with the insert
    assert (stored.kind, stored.key, stored.payload, stored.request_id) == ("event", "", {}, "")
    assert before <= stored.created_at == made.created_at <= timezone.now()


def test_a_foreign_key_is_given_by_its_object_or_its_id():
    event = OutboxEvent.objects.create(event_type="thing.happened")
    now = timezone.now()
    by_object = create_unless_present(OutboxDelivery, unique=("id",), event=event, path="/a/", next_attempt_at=now)
    by_id = create_unless_present(OutboxDelivery, unique=("id",), event_id=event.pk, path="/b/", next_attempt_at=now)
    assert by_object.event is event
    assert list(event.deliveries.order_by("path").values_list("pk", "method", "attempts")) == [
        (by_object.pk, "POST", 0),
        (by_id.pk, "POST", 0),
    ]


def test_the_instance_is_a_stored_row_to_django():
    """create_unless_present marks the instance saved in Django's own ModelState
    (instance._state, an internal): should Django rename its fields, this fails rather than
    leave instances Django takes for unsaved ones."""
    made = create_unless_present(OutboxEvent, unique=("id",), event_type="thing.happened")
    stored = OutboxEvent.objects.get()
    assert (made._state.adding, made._state.db) == (stored._state.adding, stored._state.db) == (False, "default")
    made.validate_unique()  # unsaved, its own primary key would be a duplicate of the row
    made.event_type = "thing.renamed"
    made.save()  # unsaved, a primary key with a default is inserted again: an IntegrityError
    assert list(OutboxEvent.objects.values_list("event_type", flat=True)) == ["thing.renamed"]


def test_each_call_converts_its_own_values_with_the_statement_made_once():
    # The statement is made once per model and unique fields; defaults, auto_now_add
    # times and each field's conversion of the values are still made per call.
    with CaptureQueriesContext(connection) as queries:
        first = create_unless_present(OutboxEvent, unique=("id",), event_type="a.b", payload={"n": 1})
        second = create_unless_present(OutboxEvent, unique=("id",), event_type="c.d", payload={"n": [2]})
        claimed = claim("k1")
    assert queries[0]["sql"].split("VALUES")[0] == queries[1]["sql"].split("VALUES")[0]
    assert 'ON CONFLICT ("id")' in queries[0]["sql"]
    assert 'INTO "idempotency_idempotencykey"' in queries[2]["sql"]
    assert 'ON CONFLICT ("caller", "key")' in queries[2]["sql"]
    assert first.pk != second.pk
    assert first.created_at <= second.created_at
    stored = {event.pk: (event.event_type, event.payload, event.created_at) for event in OutboxEvent.objects.all()}
    assert stored == {
        first.pk: ("a.b", {"n": 1}, first.created_at),
        second.pk: ("c.d", {"n": [2]}, second.created_at),
    }
    assert IdempotencyKey.objects.get().pk == claimed.pk


def committed_by_another_connection(write) -> None:
    def run():
        try:
            write()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()  # the write was not held back by the reads


def test_names_are_quoted_as_the_database_quotes_them_a_foreign_key_as_its_column():
    quote = connection.ops.quote_name
    assert quoted_table(OutboxDelivery) == quote("outbox_outboxdelivery")
    assert quoted_column(OutboxDelivery, "event") == quoted_column(OutboxDelivery, "event_id") == quote("event_id")


def test_an_insert_head_names_every_column_but_an_auto_increment_key():
    fields, head = insert_head(OutboxDelivery)
    assert OutboxDelivery._meta.pk not in fields
    assert {field.column for field in fields} == {f.column for f in OutboxDelivery._meta.concrete_fields} - {"id"}
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    assert head == f"INSERT INTO {quoted_table(OutboxDelivery)} ({columns}) VALUES "  # noqa: S608


@pytest.mark.django_db(transaction=True)
def test_reads_in_one_snapshot_do_not_see_a_row_committed_between_them():
    with one_snapshot():
        before = IdempotencyKey.objects.count()
        committed_by_another_connection(lambda: claim("k1"))
        within = IdempotencyKey.objects.count()
    after = IdempotencyKey.objects.count()

    assert (before, within, after) == (0, 0, 1)


@pytest.mark.django_db(transaction=True)
def test_reads_outside_a_snapshot_each_see_what_is_committed_by_then():
    before = IdempotencyKey.objects.count()
    committed_by_another_connection(lambda: claim("k1"))
    assert (before, IdempotencyKey.objects.count()) == (0, 1)  # what one_snapshot() prevents
