"""common.outbox.retention: processed event ids kept PROCESSED_EVENTS_KEEP_DAYS (and
CLOCK_MARGIN), then purged in batches by the outbox app's sweep; an event older than
that is acknowledged and not handled, since its id may be gone."""

import logging
import threading
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from common import sweeps
from common.auth import mint_access_token
from common.metrics import REGISTRY
from common.outbox import retention
from common.outbox.consumer import EventReceiverView
from common.outbox.models import ProcessedEvent
from common.settings import ImproperlyConfiguredEnv

NOW = timezone.now()  # the tests' clock stops here (a real time, so tokens minted then are valid)
KEEP = timedelta(days=30)
PURGE_SWEEP = "common.outbox.retention.processed_events_purge_sweep"
clock = [0.0]  # time.monotonic() as the purge sweep's interval sees it: the tests move it


@pytest.fixture(autouse=True)
def _retention(settings, monkeypatch):
    """A clock stopped at NOW, ids kept 30 days, and a fresh process as the purge sweep
    sees it (its interval's clock at `clock`)."""
    settings.PROCESSED_EVENTS_KEEP_DAYS = 30
    settings.PROCESSED_EVENTS_PURGE_SECONDS = 3600
    settings.IDEMPOTENCY_PURGE_SECONDS = 0  # the other app's purge, not under test here
    settings.SWEEPS = []
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    clock[0] = 1000.0
    monkeypatch.setattr(sweeps, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    monkeypatch.setattr(retention._purge_interval, "last", None)


def handled(age: timedelta) -> uuid.UUID:
    """The id of an event this service handled `age` ago."""
    event_id = uuid.uuid4()
    ProcessedEvent.objects.create(id=event_id, event_type="thing.happened")
    ProcessedEvent.objects.filter(id=event_id).update(processed_at=NOW - age)
    return event_id


def kept() -> set[uuid.UUID]:
    return set(ProcessedEvent.objects.values_list("id", flat=True))


class _Receiver(EventReceiverView):
    handled: list = []
    handlers = {"thing.happened": handled.append}


def deliver(event_id: uuid.UUID, *, occurred: timedelta | None, n: int = 1) -> str:
    """POST an event that occurred `occurred` ago (undated if None); the status of the answer."""
    body = {"id": str(event_id), "type": "thing.happened", "source": "order", "payload": {"n": n}}
    if occurred is not None:
        body["occurred_at"] = (NOW - occurred).isoformat()
    token = mint_access_token(user_id=None, service="order")
    request = APIRequestFactory().post("/api/events/", body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")
    response = _Receiver.as_view()(request)
    assert response.status_code == 200
    return response.data["status"]


def expired_count() -> float:
    labels = {"service": "book", "event_type": "thing.happened"}
    return REGISTRY.get_sample_value("outbox_events_expired_total", labels) or 0.0


@pytest.fixture
def receiver():
    _Receiver.handled.clear()
    return _Receiver


@pytest.mark.django_db
def test_the_purge_deletes_ids_handled_over_the_retention_and_the_clock_margin_ago():
    margin = retention.CLOCK_MARGIN
    just_over = handled(KEEP + margin + timedelta(microseconds=1))
    long_ago = handled(KEEP * 3)
    at_the_cutoff = handled(KEEP + margin)
    in_the_margin = handled(KEEP)
    recent = handled(timedelta(days=1))

    assert retention.processed_events_purge() == 2
    assert kept() == {at_the_cutoff, in_the_margin, recent}
    assert {just_over, long_ago}.isdisjoint(kept())


@pytest.mark.django_db
def test_a_redelivery_inside_the_retention_is_still_a_duplicate_after_the_purge(receiver):
    """Handled at once, redelivered 29 days later (its publisher's answer lost, its tries
    failing since): the purge kept its id, so it is not handled twice."""
    event_id = uuid.uuid4()
    assert deliver(event_id, occurred=KEEP - timedelta(days=1)) == "processed"
    ProcessedEvent.objects.filter(id=event_id).update(processed_at=NOW - KEEP + timedelta(days=1))

    retention.processed_events_purge()

    assert deliver(event_id, occurred=KEEP - timedelta(days=1)) == "duplicate"
    assert receiver.handled == [{"n": 1}]


@pytest.mark.django_db
def test_an_event_just_inside_the_retention_handled_by_a_clock_behind_its_publishers_keeps_its_id(receiver):
    """The publisher dates the event, this service its id: with this clock 59 minutes
    behind, the id looks older than the event. CLOCK_MARGIN keeps it, so the event,
    still young enough to be handled, is a duplicate and not handled again."""
    event_id = uuid.uuid4()
    occurred = KEEP - timedelta(seconds=1)
    ProcessedEvent.objects.create(id=event_id, event_type="thing.happened")
    ProcessedEvent.objects.filter(id=event_id).update(processed_at=NOW - occurred - timedelta(minutes=59))

    retention.processed_events_purge()

    assert deliver(event_id, occurred=occurred) == "duplicate"
    assert not receiver.handled


@pytest.mark.django_db
def test_an_event_older_than_the_retention_is_acknowledged_not_handled_logged_and_counted(receiver, caplog):
    """A parked delivery retried from the admin 40 days on, say: its id may have been
    purged, so handling it could do twice what it asks."""
    event_id = uuid.uuid4()
    before = expired_count()

    with caplog.at_level(logging.ERROR, logger="common.outbox.retention"):
        assert deliver(event_id, occurred=KEEP + timedelta(seconds=1)) == "expired"

    assert not receiver.handled
    assert not ProcessedEvent.objects.exists()  # nothing marked: it was not handled
    assert expired_count() == before + 1
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert str(event_id) in record.getMessage()
    assert "PROCESSED_EVENTS_KEEP_DAYS" in record.getMessage()


@pytest.mark.django_db
def test_an_event_inside_the_retention_or_undated_is_handled(receiver):
    assert deliver(uuid.uuid4(), occurred=KEEP - timedelta(seconds=1), n=1) == "processed"
    assert deliver(uuid.uuid4(), occurred=None, n=2) == "processed"  # its age unknown
    assert receiver.handled == [{"n": 1}, {"n": 2}]


@pytest.mark.django_db
def test_an_expired_event_of_a_type_nobody_here_handles_is_ignored_and_not_counted(receiver):
    before = expired_count()
    body = {"id": str(uuid.uuid4()), "type": "other", "occurred_at": (NOW - KEEP * 2).isoformat(), "payload": {}}
    token = mint_access_token(user_id=None, service="order")
    request = APIRequestFactory().post("/api/events/", body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert _Receiver.as_view()(request).data["status"] == "ignored"
    assert expired_count() == before


def test_a_retention_of_0_days_or_less_is_refused(settings):
    settings.PROCESSED_EVENTS_KEEP_DAYS = 0
    with pytest.raises(ImproperlyConfiguredEnv, match="PROCESSED_EVENTS_KEEP_DAYS"):
        retention.keep()


@pytest.mark.django_db
def test_the_purge_deletes_a_backlog_in_bounded_batches():
    old = {handled(KEEP * 2 + timedelta(minutes=n)) for n in range(5)}
    recent = handled(timedelta(days=1))

    with CaptureQueriesContext(connection) as queries:
        assert retention.processed_events_purge(batch=2) == 5

    deletes = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 2, 2, then 1: a short batch says there is no more
    assert all("LIMIT 2" in sql for sql in deletes)
    assert kept() == {recent}
    assert old.isdisjoint(kept())


@pytest.mark.django_db
def test_the_outbox_app_declares_the_purge_sweep_and_common_sweeps_runs_it_a_batch_a_round(monkeypatch):
    """One batch a round, rounds at once while batches come full; once one comes short
    the pass is over until PROCESSED_EVENTS_PURGE_SECONDS later."""
    assert PURGE_SWEEP in sweeps.sweep_paths()
    monkeypatch.setattr(retention, "PURGE_BATCH", 2)
    for n in range(5):
        handled(KEEP * 2 + timedelta(minutes=n))
    recent = handled(timedelta(days=1))

    assert [sweeps.sweep_once() for _ in range(4)] == [2, 2, 1, 0]
    assert kept() == {recent}

    old = handled(KEEP * 2)
    clock[0] += 3599
    assert sweeps.sweep_once() == 0  # not yet: the interval has not passed
    clock[0] += 1
    assert sweeps.sweep_once() == 1
    assert old not in kept()


@pytest.mark.django_db
def test_purge_seconds_0_turns_the_sweep_off_but_not_the_command(settings, capsys):
    settings.PROCESSED_EVENTS_PURGE_SECONDS = 0
    old = handled(KEEP * 2)

    assert sweeps.sweep_once() == 0
    assert old in kept()

    call_command("purge_processed_events")
    assert "deleted 1 processed event ids" in capsys.readouterr().out
    assert not kept()


@pytest.mark.django_db
def test_a_purge_the_database_refused_is_tried_again_next_round(monkeypatch):
    old = handled(KEEP * 2)
    refused = [True]
    real_batch = retention.processed_events_purge_batch

    def batch_once_refused(**kwargs):
        if refused.pop() if refused else False:
            raise transaction.TransactionManagementError("refused")
        return real_batch(**kwargs)

    monkeypatch.setattr(retention, "processed_events_purge_batch", batch_once_refused)
    with pytest.raises(transaction.TransactionManagementError):
        retention.processed_events_purge_sweep()
    assert retention.processed_events_purge_sweep() == 1  # due still: no interval started
    assert old not in kept()


@pytest.mark.django_db
def test_the_command_refuses_to_keep_ids_less_than_the_retention(capsys):
    forty_days = handled(timedelta(days=40))
    recent = handled(timedelta(days=1))

    with pytest.raises(SystemExit):
        call_command("purge_processed_events", "--days", "1")
    assert kept() == {forty_days, recent}

    call_command("purge_processed_events", "--days", "60")
    assert kept() == {forty_days, recent}
    call_command("purge_processed_events")
    assert kept() == {recent}


@pytest.mark.django_db(transaction=True)
def test_a_purge_skips_ids_another_purge_is_deleting_instead_of_waiting():
    """Two replicas' sweeps at once: each takes rows the other has not locked, so
    neither waits for the other (nor deadlocks)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer in at a time")
    held = [handled(KEEP * 2 + timedelta(minutes=n)) for n in range(2)]  # the oldest: first in every batch
    others = {handled(KEEP * 2 - timedelta(minutes=n + 1)) for n in range(3)}
    locked, may_end = threading.Event(), threading.Event()

    def other_purge_mid_batch():
        try:
            with transaction.atomic():
                list(ProcessedEvent.objects.select_for_update().filter(id__in=held))
                locked.set()
                may_end.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=other_purge_mid_batch)
    other.start()
    deleted: list[int] = []
    try:
        assert locked.wait(10)
        purge = threading.Thread(
            target=lambda: (deleted.append(retention.processed_events_purge()), connection.close())
        )
        purge.start()
        purge.join(timeout=10)
        assert not purge.is_alive(), "the purge waited for the rows another transaction holds"
    finally:
        may_end.set()
        other.join(timeout=10)

    assert deleted == [3]
    assert kept() == set(held)
    assert others.isdisjoint(kept())
