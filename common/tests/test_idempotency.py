"""common.idempotency: claim, complete, replay, release and purge of Idempotency-Keys."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from common import sweeps
from common.auth import ClaimsUser
from common.errors import Conflict
from common.idempotency import keys
from common.idempotency.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def fingerprint(body=None, path="/api/things/") -> str:
    return keys.request_fingerprint(method="POST", path=path, body=body or {"a": 1})


def test_the_fingerprint_follows_method_path_and_body_but_not_key_order():
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
    assert fingerprint(path="/api/other/") != fingerprint()
    assert keys.request_fingerprint(method="PUT", path="/api/things/", body={"a": 1}) != fingerprint()


def test_the_fingerprint_is_keyed_so_a_secret_in_the_body_cannot_be_found_by_hashing_guesses(settings):
    import hashlib
    import json

    body = {"card": "4242424242424242"}
    plain = hashlib.sha256(json.dumps(["POST", "/p/", body], sort_keys=True, separators=(",", ":")).encode())
    assert keys.request_fingerprint(method="POST", path="/p/", body=body) != plain.hexdigest()
    before = keys.request_fingerprint(method="POST", path="/p/", body=body)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only"
    assert keys.request_fingerprint(method="POST", path="/p/", body=body) != before


def test_a_first_claim_is_new_and_a_completed_one_is_replayed():
    record = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())
    assert not record.is_complete
    keys.key_complete(record=record, response_status=201, response_body={"id": 7})

    again = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())

    assert again.pk == record.pk
    replay = keys.replay_response(again)
    assert (replay.status_code, replay.data, replay["Idempotent-Replayed"]) == (201, {"id": 7}, "true")


def test_another_request_under_a_used_key_is_422():
    keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint({"a": 1}))
    with pytest.raises(keys.UnprocessableEntity) as raised:
        keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint({"a": 2}))
    assert raised.value.code == "idempotency_key_reused"
    assert raised.value.status_code == 422


def test_keys_are_per_caller():
    first = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())
    second = keys.key_claim(caller="user:2", key="k", fingerprint=fingerprint({"other": True}))
    assert first.pk != second.pk


def test_a_released_key_can_be_claimed_again_but_a_completed_one_is_never_released():
    record = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())
    keys.key_release(record=record)
    assert not IdempotencyKey.objects.exists()

    record = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint({"b": 1}))
    keys.key_complete(record=record, response_status=200, response_body={})
    keys.key_release(record=record)
    assert IdempotencyKey.objects.get().is_complete


def test_a_replay_while_the_first_runs_waits_for_its_answer(settings, monkeypatch):
    settings.IDEMPOTENCY_WAIT_SECONDS = 5
    record = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())
    waits = []

    def first_request_finishes_meanwhile(seconds):
        waits.append(seconds)
        IdempotencyKey.objects.filter(pk=record.pk).update(
            response_status=201, response_body={"done": True}, completed_at=timezone.now()
        )

    monkeypatch.setattr(keys.time, "sleep", first_request_finishes_meanwhile)

    again = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())

    assert again.response_body == {"done": True}
    assert len(waits) == 1


def test_a_replay_gives_up_with_409_if_the_first_does_not_finish(settings):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.1
    keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())
    with pytest.raises(Conflict) as raised:
        keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())
    assert raised.value.code == "idempotency_key_in_use"


def test_the_unfinished_key_of_a_request_that_died_is_taken_over():
    record = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())
    IdempotencyKey.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(minutes=2))

    again = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())

    assert again.pk == record.pk
    assert not again.is_complete


def expire(*records: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk__in=[record.pk for record in records]).update(
        created_at=timezone.now() - timedelta(hours=25)
    )


def test_a_claim_of_a_new_key_is_one_statement_and_deletes_nothing():
    with CaptureQueriesContext(connection) as queries:
        keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) == 1
    assert statements[0].startswith("INSERT")


def test_a_replay_of_a_live_key_is_its_claim_and_one_read():
    record = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())
    keys.key_complete(record=record, response_status=201, response_body={"id": 7})

    with CaptureQueriesContext(connection) as queries:
        again = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())

    assert (again.pk, again.response_body) == (record.pk, {"id": 7})
    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["INSERT", "SELECT"]


@pytest.mark.parametrize("completed", [True, False])
def test_a_key_past_its_lifetime_is_forgotten_when_sent_again_even_with_another_request(completed):
    old = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint({"a": 1}))
    if completed:
        keys.key_complete(record=old, response_status=201, response_body={"id": 7})
    expire(old)

    again = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint({"a": 2}))

    assert again.pk != old.pk
    assert not again.is_complete  # nothing replayed: this request runs
    assert IdempotencyKey.objects.get().pk == again.pk


def test_a_claim_leaves_other_expired_keys_to_the_purge():
    mine = keys.key_claim(caller="user:1", key="old", fingerprint=fingerprint())
    theirs = keys.key_claim(caller="user:2", key="old", fingerprint=fingerprint())
    expire(mine, theirs)

    with CaptureQueriesContext(connection) as queries:
        recent = keys.key_claim(caller="user:1", key="new", fingerprint=fingerprint())

    assert len(queries.captured_queries) == 1
    assert IdempotencyKey.objects.count() == 3
    assert keys.keys_purge() == 2
    assert list(IdempotencyKey.objects.all()) == [recent]


def test_an_expired_key_a_racer_claimed_anew_meanwhile_is_not_deleted_but_waited_for(settings, monkeypatch):
    """Two requests send a key past its lifetime at once. The racer deletes and claims it
    between this request's read of the expired row and its delete: that delete must miss
    the racer's new row, and this request then waits for the racer's answer."""
    settings.IDEMPOTENCY_WAIT_SECONDS = 5
    old = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())
    expire(old)
    racer: list[IdempotencyKey] = []
    real_ttl = keys.ttl

    def racer_claims_first():
        if not racer:
            IdempotencyKey.objects.filter(pk=old.pk).delete()
            racer.append(
                IdempotencyKey.objects.create(
                    caller="user:1", key="k", fingerprint=fingerprint(), created_at=timezone.now()
                )
            )
        return real_ttl()

    def racer_finishes(seconds):
        keys.key_complete(record=racer[0], response_status=201, response_body={"by": "racer"})

    monkeypatch.setattr(keys, "ttl", racer_claims_first)
    monkeypatch.setattr(keys.time, "sleep", racer_finishes)

    mine = keys.key_claim(caller="user:1", key="k", fingerprint=fingerprint())

    assert (mine.pk, mine.response_body) == (racer[0].pk, {"by": "racer"})
    assert IdempotencyKey.objects.get().pk == racer[0].pk


@pytest.fixture
def purge_clock(monkeypatch):
    """A fresh process as the purge sweep sees it, with a clock the test moves."""
    clock = [1000.0]
    monkeypatch.setattr(keys._purge_interval, "last", None)
    monkeypatch.setattr(keys.time, "monotonic", lambda: clock[0])
    return clock


def test_the_purge_sweep_deletes_only_expired_keys_at_most_once_an_interval(settings, purge_clock):
    settings.IDEMPOTENCY_PURGE_SECONDS = 3600
    live = keys.key_claim(caller="user:1", key="live", fingerprint=fingerprint())
    expire(
        keys.key_claim(caller="user:1", key="old", fingerprint=fingerprint()),
        keys.key_claim(caller="user:2", key="old", fingerprint=fingerprint()),
    )

    assert keys.keys_purge_sweep() == 2
    assert list(IdempotencyKey.objects.all()) == [live]

    expire(live)
    purge_clock[0] += 3599
    assert keys.keys_purge_sweep() == 0  # not yet: the interval has not passed
    assert IdempotencyKey.objects.exists()
    purge_clock[0] += 1
    assert keys.keys_purge_sweep() == 1
    assert not IdempotencyKey.objects.exists()


def test_the_purge_sweep_runs_with_the_services_sweeps_unless_set_to_0(settings, purge_clock):
    settings.SWEEPS = []
    settings.IDEMPOTENCY_PURGE_SECONDS = 0
    expire(keys.key_claim(caller="user:1", key="old", fingerprint=fingerprint()))

    assert sweeps.sweep_once() == 0
    assert IdempotencyKey.objects.exists()

    settings.IDEMPOTENCY_PURGE_SECONDS = 3600
    assert sweeps.sweep_once() == 1
    assert not IdempotencyKey.objects.exists()


def test_the_purge_command_keeps_keys_younger_than_the_lifetime(capsys):
    keys.key_claim(caller="user:1", key="young", fingerprint=fingerprint())
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=23))
    call_command("purge_idempotency_keys")
    assert IdempotencyKey.objects.count() == 1
    assert "deleted 0" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        call_command("purge_idempotency_keys", "--hours", "1")
    call_command("purge_idempotency_keys", "--hours", "48")
    assert IdempotencyKey.objects.count() == 1


def post(headers: dict, body=None):
    request = APIRequestFactory().post("/api/things/", body or {"a": 1}, format="json", headers=headers)
    from rest_framework.parsers import JSONParser
    from rest_framework.request import Request

    wrapped = Request(request, parsers=[JSONParser()])
    force_authenticate(wrapped, user=None)
    wrapped.user = ClaimsUser({"user_id": 3})  # type: ignore[arg-type,assignment]  # claims as a dict; not a Django user
    return wrapped


def test_idempotent_runs_once_per_key_and_replays_after():
    runs = []

    def run():
        runs.append(1)
        return Response({"n": len(runs)}, status=201)

    first = keys.idempotent(post({"Idempotency-Key": "abc"}), run)
    replay = keys.idempotent(post({"Idempotency-Key": "abc"}), run)

    assert (first.data, replay.data, len(runs)) == ({"n": 1}, {"n": 1}, 1)
    assert replay["Idempotent-Replayed"] == "true"
    assert IdempotencyKey.objects.get().caller == "user:3"


def test_idempotent_needs_the_header_only_when_told_to():
    with pytest.raises(ValidationError) as raised:
        keys.idempotent(post({}), lambda: Response({}), required=True)
    assert "Idempotency-Key" in raised.value.detail
    assert keys.idempotent(post({}), lambda: Response({"ran": True}), required=False).data == {"ran": True}
    assert not IdempotencyKey.objects.exists()


def test_idempotent_keeps_no_key_when_the_run_fails():
    def failing():
        raise Conflict("no")

    with pytest.raises(Conflict):
        keys.idempotent(post({"Idempotency-Key": "abc"}), failing)
    assert not IdempotencyKey.objects.exists()
    assert keys.idempotent(post({"Idempotency-Key": "abc"}), lambda: Response(status=503)).status_code == 503
    assert not IdempotencyKey.objects.exists()


def test_an_answer_kept_inside_the_runs_transaction_is_the_one_replayed():
    def run():
        with transaction.atomic():
            keys.complete_in_transaction(response_status=201, response_body={"id": 7})
        # What follows the commit (a crash here, say) no longer matters to a replay.
        assert IdempotencyKey.objects.get().response_body == {"id": 7}
        return Response({"id": 7, "later": True}, status=201)

    keys.idempotent(post({"Idempotency-Key": "in-tx"}), run)
    replay = keys.idempotent(post({"Idempotency-Key": "in-tx"}), run)

    assert (replay.status_code, replay.data) == (201, {"id": 7})


def test_an_answer_kept_in_a_transaction_that_rolled_back_keeps_no_key():
    def run():
        with transaction.atomic():
            keys.complete_in_transaction(response_status=201, response_body={"id": 7})
            raise Conflict("changed my mind")

    with pytest.raises(Conflict):
        keys.idempotent(post({"Idempotency-Key": "rolled-back"}), run)
    assert not IdempotencyKey.objects.exists()


def test_keeping_an_answer_without_a_key_does_nothing():
    keys.complete_in_transaction(response_status=201, response_body={})
    assert keys.idempotent(post({}), lambda: Response({"ran": True}), required=False).data == {"ran": True}
    assert not IdempotencyKey.objects.exists()
