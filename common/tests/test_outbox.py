"""common.outbox: events written with the change, delivered until they succeed, consumed once."""

import json
import threading
import uuid
from datetime import timedelta
from unittest import mock

import pytest
import requests
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from common.auth import mint_access_token, service_token
from common.events import CONTRACTS
from common.outbox import conf, consumer, dispatcher, publisher
from common.outbox.consumer import EventEnvelopeSerializer, EventReceiverView, consume_once
from common.outbox.models import OutboxDelivery, OutboxEvent, ProcessedEvent
from common.settings import ImproperlyConfiguredEnv
from tests.outbox_setup import NOTIFICATION_EVENTS, SUBSCRIBER, due_now


@pytest.fixture(autouse=True)
def _outbox_settings(outbox_settings):
    outbox_settings.OUTBOX_BACKOFF_SECONDS = 2.0
    outbox_settings.OUTBOX_BACKOFF_MAX_SECONDS = 60.0


@pytest.mark.django_db
def test_publish_writes_the_event_and_one_delivery_per_subscriber():
    event = publisher.publish("thing.happened", {"n": 1}, key="thing:1")

    assert OutboxEvent.objects.get().payload == {"n": 1}
    assert sorted(event.deliveries.values_list("target", "method", "path")) == [
        ("http://subscriber.test", "POST", "/hooks/events/"),
        ("notification", "POST", "/api/events/"),
    ]
    assert publisher.publish("nobody.listens", {}).deliveries.count() == 0


@pytest.mark.django_db
def test_an_event_of_a_rolled_back_change_is_never_written():
    def change_that_fails():
        with transaction.atomic():
            publisher.publish("thing.happened", {"n": 1})
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert not OutboxEvent.objects.exists()
    assert not OutboxDelivery.objects.exists()


@pytest.mark.django_db
def test_the_dispatcher_posts_the_envelope_with_a_service_token(mocked_responses):
    event = publisher.publish("thing.happened", {"n": 1})
    mocked_responses.post(NOTIFICATION_EVENTS, json={"status": "processed"})
    mocked_responses.post(f"{SUBSCRIBER}/hooks/events/", json={"status": "processed"})

    assert dispatcher.dispatch_once() == 2

    sent = mocked_responses.calls[0].request
    assert json.loads(sent.body) == {
        "id": str(event.id),
        "type": "thing.happened",
        "version": 1,  # a type outside common.events' contracts is version 1
        "source": "book",
        "occurred_at": event.created_at.isoformat(),
        "payload": {"n": 1},
    }
    assert sent.headers["Authorization"] == f"Bearer {service_token()}"
    assert not OutboxDelivery.objects.filter(delivered_at__isnull=True).exists()
    assert dispatcher.dispatch_once() == 0  # a delivered event is never sent again


@pytest.mark.django_db
@pytest.mark.parametrize(
    "answer",
    [{"body": requests.ConnectionError("down")}, {"status": 503}, {"status": 409}, {"body": requests.ReadTimeout()}],
)
def test_a_failed_delivery_is_kept_and_retried_with_doubling_waits(settings, mocked_responses, answer):
    settings.EVENT_SUBSCRIBERS = {"thing.happened": ["notification"]}
    publisher.publish("thing.happened", {})
    mocked_responses.post(NOTIFICATION_EVENTS, **answer)
    waits = []

    for _ in range(7):
        due_now()
        before = timezone.now()
        assert dispatcher.dispatch_once() == 1
        delivery = OutboxDelivery.objects.get()
        waits.append(round((delivery.next_attempt_at - before).total_seconds()))

    assert waits == [2, 4, 8, 16, 32, 60, 60]
    assert delivery.attempts == 7
    assert delivery.delivered_at is None
    assert delivery.parked_at is None  # none of these is a refusal (test_outbox_parking)
    assert delivery.last_error
    assert dispatcher.dispatch_once() == 0  # not due yet


@pytest.mark.django_db
def test_an_unreachable_subscriber_is_tried_once_per_round_and_does_not_hold_up_others(mocked_responses):
    for n in range(3):
        publisher.publish("thing.happened", {"n": n})
    mocked_responses.post(NOTIFICATION_EVENTS, body=requests.ConnectTimeout("hangs"))
    mocked_responses.post(f"{SUBSCRIBER}/hooks/events/", json={})

    assert dispatcher.dispatch_once() == 4  # one try at notification, three at the other subscriber

    to_notification = OutboxDelivery.objects.filter(target="notification")
    assert sorted(to_notification.values_list("attempts", flat=True)) == [0, 0, 1]
    assert to_notification.filter(delivered_at__isnull=True, leased_until__isnull=True).count() == 3
    assert len({d.next_attempt_at for d in to_notification}) == 1  # the others wait as long as the failed one
    assert not OutboxDelivery.objects.filter(target=SUBSCRIBER, delivered_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_taken_delivery_is_not_taken_again_until_its_lease_ends(settings):
    settings.OUTBOX_LEASE_SECONDS = 60
    publisher.publish("thing.happened", {})

    assert len(dispatcher.take_due(limit=10)) == 2
    assert dispatcher.take_due(limit=10) == []
    OutboxDelivery.objects.update(leased_until=timezone.now() - timedelta(seconds=1))  # its taker died
    assert len(dispatcher.take_due(limit=10)) == 2


@pytest.mark.django_db
def test_deliver_pending_skips_the_backoff_but_not_a_lease(settings, mocked_responses):
    settings.EVENT_SUBSCRIBERS = {"thing.happened": ["notification"]}
    publisher.publish("thing.happened", {}, key="thing:1")
    mocked_responses.post(NOTIFICATION_EVENTS, status=503)
    dispatcher.dispatch_once()
    assert OutboxDelivery.objects.get().next_attempt_at > timezone.now()  # backing off

    mocked_responses.replace("POST", NOTIFICATION_EVENTS, json={})
    taken = dispatcher.take_due(limit=10, ignore_backoff=True)
    assert dispatcher.deliver_pending(key="thing:1") is False  # leased to the taker above
    dispatcher.attempt(taken[0])
    assert dispatcher.deliver_pending(key="thing:1") is True


@pytest.mark.django_db
def test_a_scheduled_call_is_made_until_it_succeeds_and_a_delete_of_something_gone_counts(mocked_responses):
    with transaction.atomic():
        call = publisher.schedule_call(
            name="cart.clear", service="notification", method="delete", path="/api/things/5/", key="thing:5"
        )
    mocked_responses.delete("http://127.0.0.1:7000/api/things/5/", status=503)

    assert dispatcher.deliver_now(call) is False
    assert dispatcher.undelivered(key="thing:5")
    mocked_responses.replace("DELETE", "http://127.0.0.1:7000/api/things/5/", status=404)
    due_now()
    assert dispatcher.deliver_pending(key="thing:5") is True
    assert mocked_responses.calls[-1].request.body is None  # a DELETE carries no body
    assert not dispatcher.undelivered(key="thing:5")


@pytest.mark.django_db
def test_a_call_to_try_now_is_left_to_its_caller_until_its_lease_ends(settings, mocked_responses):
    settings.OUTBOX_LEASE_SECONDS = 60
    call = publisher.schedule_call(name="cart.clear", service="notification", method="DELETE", path="/t/", key="t:1")

    assert dispatcher.take_due(limit=10) == []  # the caller's first try is under way
    OutboxDelivery.objects.update(leased_until=timezone.now() - timedelta(seconds=1))  # the caller died
    assert [delivery.pk for delivery in dispatcher.take_due(limit=10)] == [call.deliveries[0].pk]


@pytest.mark.django_db
def test_a_call_not_to_try_now_is_due_to_the_dispatcher_at_once():
    call = publisher.schedule_call(name="x", service="notification", method="DELETE", path="/t/", try_now=False)

    assert [delivery.pk for delivery in dispatcher.take_due(limit=10)] == [call.deliveries[0].pk]


@pytest.mark.django_db
def test_an_event_with_the_fast_path_is_leased_to_it_and_one_without_is_due(settings):
    settings.OUTBOX_FAST_PATH = True
    with transaction.atomic(), mock.patch.object(publisher, "run_in_background"):
        publisher.publish("thing.happened", {})
    assert dispatcher.take_due(limit=10) == []

    settings.OUTBOX_FAST_PATH = False
    publisher.publish("thing.happened", {})
    assert len(dispatcher.take_due(limit=10)) == 2


@pytest.mark.django_db
def test_a_call_with_a_body_sends_its_payload(mocked_responses):
    call = publisher.schedule_call(name="ping", service="notification", method="POST", path="/p/", payload={"a": 1})
    mocked_responses.post("http://127.0.0.1:7000/p/", status=201)

    assert dispatcher.deliver_now(call)
    assert json.loads(mocked_responses.calls[0].request.body) == {"a": 1}


@pytest.mark.django_db(transaction=True)
def test_the_fast_path_delivers_right_after_commit_off_the_request_thread(settings, mocked_responses):
    settings.OUTBOX_FAST_PATH = True
    settings.EVENT_SUBSCRIBERS = {"thing.happened": ["notification"]}
    mocked_responses.post(NOTIFICATION_EVENTS, json={})
    submitted = []
    real_run = publisher.run_in_background

    def record(task, *, what):
        submitted.append(real_run(task, what=what))
        return submitted[-1]

    with mock.patch.object(publisher, "run_in_background", record), transaction.atomic():
        publisher.publish("thing.happened", {})
        assert submitted == []  # nothing before the commit

    submitted[0].result(timeout=10)
    assert OutboxDelivery.objects.get().delivered_at is not None


@pytest.mark.django_db
def test_the_loop_survives_a_database_that_is_down(settings):
    settings.OUTBOX_POLL_SECONDS = 0.01
    stop = threading.Event()
    rounds = []

    def flaky_round():
        rounds.append(1)
        if len(rounds) == 1:
            raise DatabaseError("no such table")
        stop.set()
        return 0

    with mock.patch.object(dispatcher, "dispatch_once", flaky_round):
        dispatcher.run(stop)

    assert len(rounds) == 2


@pytest.mark.django_db
def test_the_command_delivers_once(mocked_responses, capsys):
    publisher.publish("thing.happened", {})
    mocked_responses.post(NOTIFICATION_EVENTS, json={})
    mocked_responses.post(f"{SUBSCRIBER}/hooks/events/", json={})

    call_command("dispatch_events", "--once")

    assert "tried 2 deliveries" in capsys.readouterr().out
    assert not OutboxDelivery.objects.filter(delivered_at__isnull=True).exists()


@pytest.mark.django_db
def test_consume_once_handles_an_id_once_and_again_if_the_handler_failed():
    event_id = uuid.uuid4()

    def failing_handler():
        with consume_once(event_id=event_id, event_type="t") as first:
            assert first
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError):
        failing_handler()
    assert not ProcessedEvent.objects.exists()  # the failure left it unseen

    with consume_once(event_id=event_id, event_type="t") as first:
        assert first
    with consume_once(event_id=event_id, event_type="t") as first:
        assert not first


@pytest.mark.django_db(transaction=True)
def test_consume_once_marks_an_id_in_one_statement_of_the_handlers_transaction():
    """BEGIN, INSERT ... ON CONFLICT DO NOTHING, COMMIT: no savepoint around the mark, the
    first time or for a duplicate."""
    event_id = uuid.uuid4()
    for expected in (True, False):
        with CaptureQueriesContext(connection) as queries, consume_once(event_id=event_id, event_type="t") as first:
            assert first is expected
        statements = [query["sql"] for query in queries.captured_queries]
        assert len(statements) == 3
        assert statements[0].startswith("BEGIN")
        assert "ON CONFLICT" in statements[1]
        assert statements[2] == "COMMIT"
    assert ProcessedEvent.objects.get().event_type == "t"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_commits", [True, False])
def test_a_concurrent_delivery_of_an_id_waits_for_the_first_and_is_handled_only_if_it_failed(first_commits):
    """The second delivery's mark waits for the first's transaction: a duplicate once
    the first commits; handled after all if the first's handler failed."""
    if connection.vendor != "postgresql":
        pytest.skip("on SQLite BEGIN IMMEDIATE lets one delivery in at a time")
    event_id = uuid.uuid4()
    first_marked, first_may_end = threading.Event(), threading.Event()
    second: list[bool] = []

    def first_delivery():
        try:
            with consume_once(event_id=event_id, event_type="t") as first:
                assert first
                first_marked.set()
                first_may_end.wait(10)
                if not first_commits:
                    raise RuntimeError("handler failed")
        except RuntimeError:
            pass
        finally:
            connection.close()

    def second_delivery():
        try:
            with consume_once(event_id=event_id, event_type="t") as first:
                second.append(first)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_delivery), threading.Thread(target=second_delivery)]
    threads[0].start()
    assert first_marked.wait(10)
    threads[1].start()
    with connection.cursor() as cursor:  # the second delivery's INSERT waits on the first's row
        for _ in range(500):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.01)
        else:
            pytest.fail("the second delivery did not wait for the first")
    assert not second
    first_may_end.set()
    for thread in threads:
        thread.join(timeout=10)

    assert second == [not first_commits]
    assert ProcessedEvent.objects.filter(id=event_id).count() == 1


class _Receiver(EventReceiverView):
    handled: list = []
    handlers = {"thing.happened": handled.append}


def _post_event(body, token):
    request = APIRequestFactory().post("/api/events/", body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")
    return _Receiver.as_view()(request)


@pytest.mark.django_db
def test_the_receiver_acknowledges_a_seen_id_and_does_nothing():
    _Receiver.handled.clear()
    body = {"id": str(uuid.uuid4()), "type": "thing.happened", "source": "order", "payload": {"n": 1}}
    token = mint_access_token(user_id=None, service="order")

    assert _post_event(body, token).data["status"] == "processed"
    assert _post_event(body, token).data["status"] == "duplicate"
    assert _Receiver.handled == [{"n": 1}]
    assert _post_event({**body, "type": "other", "id": str(uuid.uuid4())}, token).data["status"] == "ignored"


@pytest.mark.django_db(transaction=True)
def test_the_receiver_handles_an_event_in_three_statements():
    """The receiver adds nothing to consume_once's: BEGIN, the mark, the handler's
    statements (none here), COMMIT."""
    _Receiver.handled.clear()
    body = {"id": str(uuid.uuid4()), "type": "thing.happened", "source": "order", "payload": {"n": 1}}
    token = mint_access_token(user_id=None, service="order")

    for outcome in ("processed", "duplicate"):
        with CaptureQueriesContext(connection) as queries:
            assert _post_event(body, token).data["status"] == outcome
        assert len(queries.captured_queries) == 3
        assert not [query for query in queries.captured_queries if "SAVEPOINT" in query["sql"]]
    assert _Receiver.handled == [{"n": 1}]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"id": "nope", "type": "t", "payload": {}},
        {"id": str(uuid.uuid4()), "type": "t", "payload": 3},
        {"id": str(uuid.uuid4()), "type": "t", "source": 0, "payload": {}},  # found by Schemathesis
        {"id": False, "type": "t", "payload": {}},  # DRF alone reads it as the UUID 0
    ],
)
def test_the_receiver_refuses_a_bad_envelope(body):
    response = _post_event(body, mint_access_token(user_id=None, service="order"))
    assert response.status_code == 400
    # The receiver's fields are made once for the process: its answer is a fresh serializer's.
    fresh = EventEnvelopeSerializer(data=body)
    assert not fresh.is_valid()
    assert response.data["error"]["details"] == fresh.errors


def test_an_envelope_is_read_as_a_fresh_serializer_reads_it():
    body = {"id": str(uuid.uuid4()), "type": "t", "occurred_at": "2026-01-01T01:00:00+01:00", "payload": {"n": 1}}
    fresh = EventEnvelopeSerializer(data=body)
    assert fresh.is_valid()

    assert consumer._envelope_read(body) == consumer._envelope_read(dict(body)) == fresh.validated_data


@pytest.mark.django_db
def test_only_services_may_post_events():
    body = {"id": str(uuid.uuid4()), "type": "thing.happened", "payload": {}}
    assert _post_event(body, mint_access_token(user_id=1, is_staff=True)).status_code == 403


@pytest.mark.parametrize(
    ("to_status", "targets"),
    [
        ("paid", ["notification"]),
        ("shipped", ["notification"]),
        ("cancelled", ["notification", "payment"]),
        ("delivered", ["notification", "payment"]),
    ],
)
def test_payment_hears_only_the_status_changes_that_move_money(settings, monkeypatch, to_status, targets):
    del settings.EVENT_SUBSCRIBERS
    monkeypatch.delenv("EVENT_SUBSCRIBERS", raising=False)
    payload = CONTRACTS["order.status_changed"].example | {"to_status": to_status}

    assert [endpoint.target for endpoint in conf.endpoints_for("order.status_changed", payload)] == targets
    assert [endpoint.target for endpoint in conf.endpoints_for("order.status_changed")] == ["notification", "payment"]


@pytest.mark.django_db
def test_a_subscribers_condition_is_kept_when_the_environment_names_it(settings):
    """EVENT_SUBSCRIBERS chooses who hears an event; what a named service acts on stays its
    contract's, and a URL (another listener, the end-to-end recorder) hears everything."""
    settings.EVENT_SUBSCRIBERS = {"order.status_changed": ["payment", "http://127.0.0.1:9/in/"]}
    paid = CONTRACTS["order.status_changed"].example | {"to_status": "paid"}

    event = publisher.publish("order.status_changed", paid, key="order:12")

    assert [delivery.target for delivery in event.deliveries.all()] == ["http://127.0.0.1:9"]


def test_subscribers_come_from_the_environment(settings, monkeypatch):
    del settings.EVENT_SUBSCRIBERS
    monkeypatch.delenv("EVENT_SUBSCRIBERS", raising=False)
    assert conf.subscribers() == conf.DEFAULT_SUBSCRIBERS
    monkeypatch.setenv("EVENT_SUBSCRIBERS", '{"order.created": ["http://127.0.0.1:9/in/"]}')
    assert conf.endpoints_for("order.created") == [conf.Endpoint("http://127.0.0.1:9", "/in/")]
    for bad in ("not json", '{"order.created": "notification"}', "[1]"):
        monkeypatch.setenv("EVENT_SUBSCRIBERS", bad)
        with pytest.raises(ImproperlyConfiguredEnv):
            conf.subscribers()
    monkeypatch.setenv("EVENT_SUBSCRIBERS", '{"order.created": ["nosuchservice"]}')
    with pytest.raises(ImproperlyConfiguredEnv):
        conf.endpoints_for("order.created")


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_taking_at_once_never_take_the_same_row(settings):
    from django.db import connection as main_connection

    if main_connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; on SQLite BEGIN IMMEDIATE serializes takers")
    settings.EVENT_SUBSCRIBERS = {"thing.happened": ["notification"]}
    for n in range(40):
        publisher.publish("thing.happened", {"n": n})
    barrier = threading.Barrier(4)
    taken: list[list[int]] = []

    def take():
        from django.db import connection

        try:
            barrier.wait()
            taken.append([delivery.pk for delivery in dispatcher.take_due(limit=15)])
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    all_ids = [pk for ids in taken for pk in ids]
    assert len(all_ids) == len(set(all_ids)) == 40
