"""common.outbox: a delivery its target refuses as invalid is parked (the dead letter), not tried for ever."""

import logging
from datetime import timedelta

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from common.outbox import conf, dispatcher, publisher
from common.outbox.models import OutboxDelivery
from tests.outbox_setup import NOTIFICATION_EVENTS, SUBSCRIBER, due_now

pytestmark = pytest.mark.django_db

CART_ITEMS = "http://127.0.0.1:7000/api/carts/5/items/"


@pytest.fixture(autouse=True)
def _outbox_settings(outbox_settings):
    outbox_settings.OUTBOX_MAX_REFUSALS = 3


def dispatch_round() -> int:
    due_now()
    return dispatcher.dispatch_once()


@pytest.mark.parametrize("status", sorted(dispatcher.REFUSALS))
def test_a_refused_delivery_is_parked_after_its_refusals_and_the_others_go_on(mocked_responses, status):
    publisher.publish("thing.happened", {"n": 1})
    mocked_responses.post(NOTIFICATION_EVENTS, status=status)
    mocked_responses.post(f"{SUBSCRIBER}/hooks/events/", json={})

    assert [dispatch_round() for _ in range(4)] == [2, 1, 1, 0]  # the third refusal parks it

    refused = OutboxDelivery.objects.get(target="notification")
    assert (refused.attempts, refused.refusals, refused.last_status) == (3, 3, status)
    assert refused.parked_at is not None
    assert refused.delivered_at is None
    publisher.publish("thing.happened", {"n": 2})
    assert dispatch_round() == 2  # the next event to both: the parked one stays out
    assert OutboxDelivery.objects.filter(target=SUBSCRIBER, delivered_at__isnull=False).count() == 2
    assert OutboxDelivery.objects.get(target="notification", parked_at__isnull=True).refusals == 1


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 503},
        {"status": 500},
        {"status": 401},
        {"status": 403},
        {"status": 408},
        {"status": 409},
        {"status": 423},
        {"status": 429},
        {"body": requests.ConnectionError("refused")},
        {"body": requests.ReadTimeout()},
    ],
)
def test_a_failure_that_may_heal_is_never_parked(settings, mocked_responses, answer):
    settings.OUTBOX_MAX_REFUSALS = 1
    settings.EVENT_SUBSCRIBERS = {"thing.happened": ["notification"]}
    publisher.publish("thing.happened", {})
    mocked_responses.post(NOTIFICATION_EVENTS, **answer)

    assert [dispatch_round() for _ in range(4)] == [1, 1, 1, 1]

    delivery = OutboxDelivery.objects.get()
    assert (delivery.attempts, delivery.refusals, delivery.parked_at) == (4, 0, None)


def test_refusals_count_in_a_row(settings, mocked_responses):
    settings.EVENT_SUBSCRIBERS = {"thing.happened": ["notification"]}
    publisher.publish("thing.happened", {})
    mocked_responses.post(NOTIFICATION_EVENTS, status=400)
    mocked_responses.post(NOTIFICATION_EVENTS, status=400)
    mocked_responses.post(NOTIFICATION_EVENTS, status=503)  # down for a while: the count starts again
    for _ in range(3):
        mocked_responses.post(NOTIFICATION_EVENTS, status=400)

    refusals = []
    for _ in range(6):
        dispatch_round()
        refusals.append(OutboxDelivery.objects.get().refusals)

    assert refusals == [1, 2, 0, 1, 2, 3]
    assert OutboxDelivery.objects.get().parked_at is not None


def test_a_delete_of_something_gone_is_done_not_parked(settings, mocked_responses):
    settings.OUTBOX_MAX_REFUSALS = 1
    call = publisher.schedule_call(name="cart.clear", service="notification", method="DELETE", path="/api/carts/5/")
    mocked_responses.delete("http://127.0.0.1:7000/api/carts/5/", status=404)

    assert dispatcher.deliver_now(call)
    delivery = OutboxDelivery.objects.get()
    assert delivery.delivered_at is not None
    assert delivery.parked_at is None


def test_parking_is_logged_once_at_error_with_what_it_was(settings, mocked_responses, caplog):
    settings.OUTBOX_MAX_REFUSALS = 2
    settings.EVENT_SUBSCRIBERS = {"thing.happened": ["notification"]}
    event = publisher.publish("thing.happened", {})
    mocked_responses.post(NOTIFICATION_EVENTS, status=422, json={"detail": "total too large"})

    with caplog.at_level(logging.WARNING, logger="common.outbox.dispatcher"):
        for _ in range(3):
            dispatch_round()

    records = [record for record in caplog.records if record.name == "common.outbox.dispatcher"]
    errors = [record.getMessage() for record in records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "POST notification/api/events/ for thing.happened" in errors[0]
    assert str(event.id) in errors[0]
    assert "parked after 2 refusals in a row" in errors[0]
    assert 'HTTP 422: {"detail": "total too large"}' in errors[0]
    assert len(records) == 2  # a warning for the first refusal, then the error; nothing once parked


def test_a_parked_call_no_longer_holds_up_its_key(settings, mocked_responses):
    settings.OUTBOX_MAX_REFUSALS = 1
    call = publisher.schedule_call(
        name="cart.clear", service="notification", method="DELETE", path="/api/carts/5/items/", key="cart:5"
    )
    mocked_responses.delete(CART_ITEMS, status=405)

    assert dispatcher.deliver_now(call) is False
    assert OutboxDelivery.objects.get().parked_at is not None
    assert dispatcher.undelivered(key="cart:5") is False
    assert dispatcher.deliver_pending(key="cart:5") is True
    assert len(mocked_responses.calls) == 1  # not tried again

    OutboxDelivery.objects.update(parked_at=None)  # what the admin's retry does, in short
    assert dispatcher.undelivered(key="cart:5") is True


def _admin_action(admin_client, action, deliveries):
    return admin_client.post(
        "/admin/outbox/outboxdelivery/",
        {"action": action, "_selected_action": [delivery.pk for delivery in deliveries]},
        follow=True,
    )


def test_the_admin_lists_parked_deliveries_and_retries_them_from_the_start(admin_client, mocked_responses):
    publisher.publish("thing.happened", {})
    mocked_responses.post(NOTIFICATION_EVENTS, status=400)
    mocked_responses.post(f"{SUBSCRIBER}/hooks/events/", status=400)
    for _ in range(3):
        dispatch_round()
    publisher.publish("thing.happened", {})  # waiting, not parked
    parked = list(OutboxDelivery.objects.filter(parked_at__isnull=False))
    assert len(parked) == 2

    listed = admin_client.get("/admin/outbox/outboxdelivery/", {"parked": "yes"})
    assert sorted(delivery.pk for delivery in listed.context["cl"].result_list) == sorted(d.pk for d in parked)
    assert len(admin_client.get("/admin/outbox/outboxdelivery/", {"parked": "no"}).context["cl"].result_list) == 2
    assert admin_client.get(f"/admin/outbox/outboxdelivery/{parked[0].pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/outbox/outboxevent/{parked[0].event_id}/change/").status_code == 200

    answer = _admin_action(admin_client, "retry_parked", OutboxDelivery.objects.all())
    assert "2 parked deliveries will be retried now." in answer.content.decode()
    for delivery in parked:
        delivery.refresh_from_db()
        assert (delivery.parked_at, delivery.attempts, delivery.refusals) == (None, 0, 0)
        assert delivery.next_attempt_at <= timezone.now()
    mocked_responses.replace("POST", NOTIFICATION_EVENTS, json={})
    mocked_responses.replace("POST", f"{SUBSCRIBER}/hooks/events/", json={})
    assert dispatcher.dispatch_once() == 4  # due at once, with the two that were waiting
    assert not OutboxDelivery.objects.filter(delivered_at__isnull=True).exists()


def test_the_admin_parks_by_hand_what_waits_but_not_what_is_under_a_try(admin_client):
    publisher.publish("thing.happened", {})
    waiting, under_a_try = OutboxDelivery.objects.all()
    OutboxDelivery.objects.filter(pk=under_a_try.pk).update(leased_until=timezone.now() + timedelta(seconds=60))

    answer = _admin_action(admin_client, "park", [waiting, under_a_try])

    assert "1 of 2 selected deliveries parked." in answer.content.decode()
    waiting.refresh_from_db()
    under_a_try.refresh_from_db()
    assert waiting.parked_at is not None
    assert under_a_try.parked_at is None
    assert dispatcher.take_due(limit=10, ignore_backoff=True) == []  # parked, and leased


def test_max_refusals_comes_from_the_environment(settings, monkeypatch):
    del settings.OUTBOX_MAX_REFUSALS
    monkeypatch.delenv("OUTBOX_MAX_REFUSALS", raising=False)
    assert conf.max_refusals() == 5
    monkeypatch.setenv("OUTBOX_MAX_REFUSALS", "12")
    assert conf.max_refusals() == 12


def test_the_migrations_match_the_models():
    call_command("makemigrations", "outbox", "--check", "--dry-run", verbosity=0)
