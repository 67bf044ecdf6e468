"""Delivering the outbox: take due deliveries, make the calls, record the outcome.

A delivery is taken by one statement that leases it (leased_until), so no other
dispatcher (or fast-path thread) takes it while the call is under way: an UPDATE of
the rows its subquery chooses, on PostgreSQL with FOR UPDATE SKIP LOCKED, on SQLite one
writer at a time (common.outbox.statements). The HTTP call is made outside any
transaction. A dispatcher that dies mid-call leaves the row to be taken again
when the lease ends: delivery is at least once, and consumers ignore ids they have seen.

Every failure is tried again, for ever, except a refusal (REFUSALS) repeated
OUTBOX_MAX_REFUSALS times in a row: that delivery is parked (parked_at), logged once
at ERROR, and left alone until someone retries it from the admin.
"""

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from common import telemetry
from common.errors import DependencyError
from common.events import CONTRACTS
from common.http import ServiceClient, client_for
from common.lazy import PerKey
from common.outbox import conf, statements
from common.outbox.models import OutboxDelivery, OutboxEvent
from common.outbox.publisher import ScheduledCall
from common.request_id import current_request_id

logger = logging.getLogger(__name__)

# Answers that say the request itself is wrong, so sending it again gets the same
# answer: an invalid payload (400, 422), too large (413) or of a type not taken (415),
# no such route or method (404, 405, 414 a path too long) or gone for good (410). A
# DELETE's 404 is not a refusal: it counts as done. Every other failure is tried again
# for ever, as something that heals: 401 and 403 (a signing key being rotated, a
# clock), 408 and 425 (timing), 409 and 423 (the state met changes), 429 (slow down),
# the 4xx not named here, and transport failures and 5xx (the target is down).
REFUSALS = frozenset({400, 404, 405, 410, 413, 414, 415, 422})


def _url_client(target: str) -> ServiceClient:
    from django.conf import settings

    return ServiceClient(
        target,
        target,
        connect_timeout=settings.SERVICE_CONNECT_TIMEOUT,
        read_timeout=settings.SERVICE_READ_TIMEOUT,
        retries=settings.SERVICE_RETRIES,
    )


_url_clients = PerKey(_url_client)  # subscribers named by URL (EVENT_SUBSCRIBERS)


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failure: base, 2x base, 4x base ... up to the maximum."""
    seconds = conf.backoff_seconds() * 2 ** min(max(attempts - 1, 0), 30)
    return timedelta(seconds=min(seconds, conf.backoff_max_seconds()))


def contract_version(event_type: str) -> int:
    contract = CONTRACTS.get(event_type)
    return contract.version if contract else 1  # a type of a service's own, outside the shared contracts


def envelope(event: OutboxEvent) -> dict[str, Any]:
    from django.conf import settings

    return {
        "id": str(event.id),
        "type": event.event_type,
        "version": contract_version(event.event_type),
        "source": settings.SERVICE_NAME,
        "occurred_at": event.created_at.isoformat(),
        "payload": event.payload,
    }


def _client(target: str) -> ServiceClient:
    return client_for(target) if "://" not in target else _url_clients.get(target)


def take_due(*, limit: int, key: str | None = None, ignore_backoff: bool = False) -> list[OutboxDelivery]:
    """Due, undelivered deliveries not leased to anyone (of events about `key`, or any),
    now leased to the caller. `ignore_backoff` takes them even if their next try is later."""
    now = timezone.now()
    ids = statements.deliveries_take(
        now=now,
        lease_until=now + timedelta(seconds=conf.lease_seconds()),
        limit=limit,
        due=not ignore_backoff,
        key=key,
    )
    if not ids:
        return []
    return list(OutboxDelivery.objects.filter(pk__in=ids).select_related("event").order_by("id"))


def attempt(delivery: OutboxDelivery) -> bool:
    """Make one delivery's call once and record the outcome; True if it succeeded."""
    event = delivery.event
    kwargs: dict[str, Any] = {}
    if event.kind == OutboxEvent.Kind.EVENT:
        kwargs["json"] = envelope(event)
    elif delivery.method not in {"GET", "DELETE"}:
        kwargs["json"] = event.payload
    status = None
    request_id = current_request_id.set(event.request_id or event.id.hex)
    try:
        # A child of the span current here (the request that just committed the event, on
        # the fast path and deliver_now), else the root of a trace of its own (a
        # dispatcher); linked to the span that published the event either way.
        with telemetry.span(
            f"outbox deliver {event.event_type}",
            kind="producer",
            link_to=event.traceparent,
            attributes=_span_attributes(delivery),
        ) as span:
            try:
                response = _client(delivery.target).request(delivery.method, delivery.path, **kwargs)
                status = response.status_code
                ok = 200 <= status < 300 or (delivery.method == "DELETE" and status == 404)
                error = "" if ok else f"HTTP {status}: {response.text[:500]}"
            except DependencyError as exc:
                ok, error = False, exc.message
            except Exception as exc:  # a bad subscriber setting, say: keep the row and say why
                logger.exception("outbox delivery %s failed unexpectedly", delivery.pk)
                ok, error = False, f"{type(exc).__name__}: {exc}"
            telemetry.set_outcome(span, ok=ok, description=error)
            _record(delivery, ok=ok, error=error, status=status)
    finally:
        current_request_id.reset(request_id)
    return ok


def _span_attributes(delivery: OutboxDelivery) -> dict[str, Any]:
    event = delivery.event
    return {
        "messaging.system": "bookstore-outbox",
        "messaging.operation.type": "send",
        "messaging.destination.name": event.event_type,
        "messaging.message.id": str(event.id),
        "bookstore.outbox.target": delivery.target if "://" not in delivery.target else "url",
        "bookstore.outbox.attempt": delivery.attempts + 1,
    }


def _record(delivery: OutboxDelivery, *, ok: bool, error: str, status: int | None) -> None:
    now = timezone.now()
    attempts = delivery.attempts + 1
    changes: dict[str, Any] = {
        "attempts": attempts,
        "last_error": error[:2000],
        "last_status": status,
        "leased_until": None,
    }
    if ok:
        changes["delivered_at"] = now
    else:
        refused = status in REFUSALS
        changes["refusals"] = delivery.refusals + 1 if refused else 0
        changes["next_attempt_at"] = now + backoff(attempts)
        what = (delivery.method, delivery.target, delivery.path, delivery.event.event_type, delivery.event_id)
        if refused and changes["refusals"] >= conf.max_refusals():
            changes["parked_at"] = now
            logger.error(
                "outbox: %s %s%s for %s %s parked after %d refusals in a row (retry it from the admin): %s",
                *what,
                changes["refusals"],
                error,
            )
        else:
            logger.warning("outbox: %s %s%s for %s %s failed (try %d): %s", *what, attempts, error)
    statements.delivery_update(delivery.pk, changes)
    for field, value in changes.items():
        setattr(delivery, field, value)


def attempt_held(deliveries: list[OutboxDelivery]) -> bool:
    """The first try of deliveries written leased to this process; True if all succeeded."""
    return all([attempt(delivery) for delivery in deliveries])


def deliver_now(call: ScheduledCall) -> bool:
    """After the commit that wrote `call` (schedule_call, try_now): make it at once, in this thread."""
    return attempt_held(call.deliveries)


def undelivered(*, key: str) -> bool:
    """Whether anything about `key` ("cart:5") still waits to be delivered. A parked
    delivery does not wait (it is given up until someone retries it), so it does not
    hold up a caller for ever: checkout would otherwise refuse that customer for good."""
    return statements.waiting_for_key(key)


def deliver_pending(*, key: str) -> bool:
    """Try now whatever about `key` is undelivered, without waiting for its backoff (a
    caller needs it done); True if nothing about it is left undelivered (parked aside)."""
    for delivery in take_due(limit=100, key=key, ignore_backoff=True):
        attempt(delivery)
    return not undelivered(key=key)


def dispatch_once(*, limit: int | None = None) -> int:
    """One round: take up to `limit` due deliveries and try each; returns how many were tried.

    A target that could not be reached (refused, timed out) is not tried again in the
    same round: its other deliveries wait as long as the one that failed, so one
    subscriber that hangs does not hold up the deliveries to all the others."""
    unreachable: dict[str, datetime] = {}  # target -> when its failed delivery is tried again
    tried = 0
    with telemetry.quiet():  # a round that finds nothing makes no trace; each delivery has its own span
        due = take_due(limit=limit or conf.batch_size())
    for delivery in due:
        if delivery.target in unreachable:
            statements.delivery_update(
                delivery.pk, {"leased_until": None, "next_attempt_at": unreachable[delivery.target]}
            )
            continue
        tried += 1
        if not attempt(delivery) and delivery.last_status is None:
            unreachable[delivery.target] = delivery.next_attempt_at
    return tried


def run(stop: threading.Event) -> None:
    """The dispatcher loop: deliver due rows, sleep when there are none, survive a
    database that is down or not migrated yet."""
    while not stop.is_set():
        close_old_connections()
        try:
            tried = dispatch_once()
        except DatabaseError as exc:  # not migrated yet, or the server is down: wait and retry
            logger.warning("outbox dispatcher: database unavailable, retrying: %s", exc)
            connection.close()
            tried = 0
        if not tried:
            stop.wait(conf.poll_seconds())
    connection.close()
