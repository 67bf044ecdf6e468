"""Writing to the outbox: call these inside the transaction of the change.

Deliveries this process will try at once after the commit (the fast path, a
scheduled call's deliver_now) are written already leased to it: no dispatcher takes
them while that first try is under way, and the try needs no transaction of its own
to take them. If the process dies first, the lease ends and a dispatcher takes over.
"""

import logging
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common import telemetry
from common.background import run_in_background
from common.events import CONTRACTS, check_payload
from common.outbox import conf
from common.outbox.models import OutboxDelivery, OutboxEvent
from common.request_id import current_request_id
from common.statements import insert

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledCall:
    """A call recorded by schedule_call, its delivery leased to the caller for the first try."""

    event: OutboxEvent
    deliveries: list[OutboxDelivery]


def publish(event_type: str, payload: dict[str, Any], *, key: str = "") -> OutboxEvent:
    """Record an event for every subscriber of its type (EVENT_SUBSCRIBERS). It is
    delivered only if the surrounding transaction commits, and then until it is. With
    EVENT_CONTRACTS_STRICT (the test suites) the payload is checked against its
    contract in common.events first."""
    if getattr(settings, "EVENT_CONTRACTS_STRICT", False) and event_type in CONTRACTS:
        check_payload(event_type, payload)
    with telemetry.span(f"outbox publish {event_type}", kind="producer", attributes=_attributes(event_type, key)):
        event = _create(kind=OutboxEvent.Kind.EVENT, event_type=event_type, payload=payload, key=key)
        endpoints = conf.endpoints_for(event_type, payload)
        fast = bool(endpoints) and conf.fast_path()
        calls = [(endpoint.target, "POST", endpoint.path) for endpoint in endpoints]
        deliveries = _add_deliveries(event, calls, held=fast)
    if fast:
        transaction.on_commit(lambda: _deliver_in_background(event, deliveries))
    return event


def schedule_call(
    *,
    name: str,
    service: str,
    method: str,
    path: str,
    payload: dict[str, Any] | None = None,
    key: str = "",
    try_now: bool = True,
) -> ScheduledCall:
    """Record an HTTP call to another service that must happen (`name` says what it
    is, e.g. "cart.clear"). With `try_now`, the caller makes it at once after the
    commit with deliver_now(); if that fails, or the process dies first, the
    dispatcher makes it until it succeeds: a 2xx, or for a DELETE also a 404 (already
    gone). The call must be idempotent."""
    with telemetry.span(f"outbox schedule {name}", kind="producer", attributes=_attributes(name, key)):
        event = _create(kind=OutboxEvent.Kind.CALL, event_type=name, payload=payload or {}, key=key)
        deliveries = _add_deliveries(event, [(service, method.upper(), path)], held=try_now)
    return ScheduledCall(event=event, deliveries=deliveries)


def _create(*, kind: str, event_type: str, payload: dict[str, Any], key: str) -> OutboxEvent:
    event = OutboxEvent(
        id=uuid.uuid4(),
        kind=kind,
        event_type=event_type,
        key=key,
        payload=payload,
        request_id=current_request_id.get() or "",
        traceparent=telemetry.current_traceparent(),  # the publish span's, inside telemetry.span above
    )
    insert([event])
    return event


def _attributes(name: str, key: str) -> dict[str, str]:
    return {"messaging.system": "bookstore-outbox", "messaging.destination.name": name, "bookstore.outbox.key": key}


def _add_deliveries(event: OutboxEvent, calls: list[tuple[str, str, str]], *, held: bool) -> list[OutboxDelivery]:
    """The event's deliveries; `held`: leased to this process for a first try after the commit."""
    now = timezone.now()
    leased_until = now + timedelta(seconds=conf.lease_seconds()) if held else None
    deliveries = [
        OutboxDelivery(
            event=event, target=target, method=method, path=path, next_attempt_at=now, leased_until=leased_until
        )
        for target, method, path in calls
    ]
    if deliveries:
        insert(deliveries)
    return deliveries


def _deliver_in_background(event: OutboxEvent, deliveries: list[OutboxDelivery]) -> Future[None]:
    """The fast path: one try right after the commit, off the request thread, so the
    response does not wait on subscribers. Whatever fails is left to the dispatcher."""
    from common.outbox.dispatcher import attempt_held

    return run_in_background(lambda: attempt_held(deliveries), what=f"outbox fast path of event {event.id}")
