"""Outbox settings: each read from Django settings if set there (tests), else the environment.

EVENT_SUBSCRIBERS   JSON object: event type -> list of subscribers, each a service name
                    (delivered to that service's POST /api/events/) or a full URL.
                    Replaces DEFAULT_SUBSCRIBERS when set.
OUTBOX_POLL_SECONDS         how often a dispatcher looks for due deliveries (1)
OUTBOX_BACKOFF_SECONDS      wait after the first failure, doubled after each next one (1)
OUTBOX_BACKOFF_MAX_SECONDS  the longest wait between tries (300)
OUTBOX_LEASE_SECONDS        how long a taken delivery is left to its dispatcher (60)
OUTBOX_BATCH                deliveries taken per round (50)
OUTBOX_FAST_PATH            try delivery in a background thread right after commit (true)
OUTBOX_MAX_REFUSALS         refusals in a row (a 4xx that will not change, dispatcher.REFUSALS)
                            after which a delivery is parked instead of tried again (5)
PROCESSED_EVENTS_KEEP_DAYS      how long a consumer keeps the ids of the events it handled,
                                and so the oldest event it still handles (30; see retention)
PROCESSED_EVENTS_PURGE_SECONDS  how often each process's sweeps delete older ids (3600; 0: never)
"""

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from common.events import CONTRACTS
from common.settings import ImproperlyConfiguredEnv, env_bool, env_float, env_int, env_str, live_setting

EVENTS_PATH = "/api/events/"

# Who hears what by default: next to each event's contract (common.events).
DEFAULT_SUBSCRIBERS: dict[str, list[str]] = {
    event_type: list(contract.subscribers) for event_type, contract in CONTRACTS.items()
}


@dataclass(frozen=True)
class Endpoint:
    target: str  # service name or base URL (scheme://host:port)
    path: str


def poll_seconds() -> float:
    return live_setting("OUTBOX_POLL_SECONDS", lambda: env_float("OUTBOX_POLL_SECONDS", 1.0))


def backoff_seconds() -> float:
    return live_setting("OUTBOX_BACKOFF_SECONDS", lambda: env_float("OUTBOX_BACKOFF_SECONDS", 1.0))


def backoff_max_seconds() -> float:
    return live_setting("OUTBOX_BACKOFF_MAX_SECONDS", lambda: env_float("OUTBOX_BACKOFF_MAX_SECONDS", 300.0))


def lease_seconds() -> float:
    return live_setting("OUTBOX_LEASE_SECONDS", lambda: env_float("OUTBOX_LEASE_SECONDS", 60.0))


def batch_size() -> int:
    return live_setting("OUTBOX_BATCH", lambda: env_int("OUTBOX_BATCH", 50))


def fast_path() -> bool:
    return live_setting("OUTBOX_FAST_PATH", lambda: env_bool("OUTBOX_FAST_PATH", True))


def max_refusals() -> int:
    return live_setting("OUTBOX_MAX_REFUSALS", lambda: env_int("OUTBOX_MAX_REFUSALS", 5))


def processed_events_keep_days() -> float:
    days = live_setting("PROCESSED_EVENTS_KEEP_DAYS", lambda: env_float("PROCESSED_EVENTS_KEEP_DAYS", 30.0))
    if days <= 0:  # every event would be refused as too old
        raise ImproperlyConfiguredEnv(f"PROCESSED_EVENTS_KEEP_DAYS must be more than 0, not {days}")
    return days


def processed_events_purge_seconds() -> float:
    return live_setting("PROCESSED_EVENTS_PURGE_SECONDS", lambda: env_float("PROCESSED_EVENTS_PURGE_SECONDS", 3600.0))


def _subscribers_from_env() -> dict[str, list[str]]:
    raw = env_str("EVENT_SUBSCRIBERS")
    if not raw:
        return DEFAULT_SUBSCRIBERS
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise ImproperlyConfiguredEnv("EVENT_SUBSCRIBERS is not JSON") from None
    if not isinstance(parsed, dict) or not all(
        isinstance(v, list) and all(isinstance(s, str) for s in v) for v in parsed.values()
    ):
        raise ImproperlyConfiguredEnv('EVENT_SUBSCRIBERS must look like {"order.created": ["notification"]}')
    return parsed


def subscribers() -> dict[str, list[str]]:
    return live_setting("EVENT_SUBSCRIBERS", _subscribers_from_env)


def endpoint_of(subscriber: str) -> Endpoint:
    """A service name goes to that service's events route; a URL is used as it is."""
    if "://" not in subscriber:
        if subscriber not in settings.SERVICE_URLS:
            raise ImproperlyConfiguredEnv(f"EVENT_SUBSCRIBERS names an unknown service {subscriber!r}")
        return Endpoint(subscriber, EVENTS_PATH)
    parts = urlsplit(subscriber)
    return Endpoint(f"{parts.scheme}://{parts.netloc}", parts.path or EVENTS_PATH)


def endpoints_for(event_type: str, payload: dict[str, Any] | None = None) -> list[Endpoint]:
    """Where an event of `event_type` goes; with its `payload`, a subscriber its contract
    hears only on a condition (Contract.only_when) is left out when it does not hold."""
    contract = CONTRACTS.get(event_type)
    conditions = contract.only_when if contract is not None else {}
    return [
        endpoint_of(subscriber)
        for subscriber in subscribers().get(event_type, [])
        if payload is None or subscriber not in conditions or conditions[subscriber](payload)
    ]
