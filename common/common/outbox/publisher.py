"""Writing to the outbox: call these inside the transaction of the change."""

import logging
import uuid
from concurrent.futures import Future

from django.db import transaction
from django.utils import timezone

from common.background import run_in_background
from common.outbox import conf
from common.outbox.models import OutboxDelivery, OutboxEvent
from common.request_id import current_request_id

logger = logging.getLogger(__name__)


def publish(event_type: str, payload: dict, *, key: str = "") -> OutboxEvent:
    """Record an event for every subscriber of its type (EVENT_SUBSCRIBERS). It is
    delivered only if the surrounding transaction commits, and then until it is."""
    event = _create(kind=OutboxEvent.Kind.EVENT, event_type=event_type, payload=payload, key=key)
    endpoints = conf.endpoints_for(event_type)
    _add_deliveries(event, [(endpoint.target, "POST", endpoint.path) for endpoint in endpoints])
    if endpoints and conf.fast_path():
        transaction.on_commit(lambda: _deliver_in_background(event.id))
    return event


def schedule_call(
    *, name: str, service: str, method: str, path: str, payload: dict | None = None, key: str = ""
) -> OutboxEvent:
    """Record an HTTP call to another service that must happen (`name` says what it
    is, e.g. "cart.clear"). Make it at once after the commit with deliver_now(); if
    that fails, or the process dies first, the dispatcher makes it until it succeeds:
    a 2xx, or for a DELETE also a 404 (already gone). The call must be idempotent."""
    event = _create(kind=OutboxEvent.Kind.CALL, event_type=name, payload=payload or {}, key=key)
    _add_deliveries(event, [(service, method.upper(), path)])
    return event


def _create(*, kind: str, event_type: str, payload: dict, key: str) -> OutboxEvent:
    return OutboxEvent.objects.create(
        id=uuid.uuid4(),
        kind=kind,
        event_type=event_type,
        key=key,
        payload=payload,
        request_id=current_request_id.get() or "",
    )


def _add_deliveries(event: OutboxEvent, calls: list[tuple[str, str, str]]) -> None:
    now = timezone.now()
    OutboxDelivery.objects.bulk_create(
        [
            OutboxDelivery(event=event, target=target, method=method, path=path, next_attempt_at=now)
            for target, method, path in calls
        ]
    )


def _deliver_in_background(event_id: uuid.UUID) -> Future:
    """The fast path: one try right after the commit, off the request thread, so the
    response does not wait on subscribers. Whatever fails is left to the dispatcher."""
    from common.outbox.dispatcher import deliver_event

    return run_in_background(lambda: deliver_event(event_id), what=f"outbox fast path of event {event_id}")
