"""Sweeps: the work a service does by itself, with nobody asking. Expiring stock
holds and unpaid orders, finishing or undoing a checkout or a payment that a crash
interrupted.

A service lists its sweeps in settings.SWEEPS: dotted paths of functions that take no
argument and return how many things they changed. An installed app may bring its own
(its AppConfig's `sweeps`, such as common.idempotency's purge of expired keys and
common.outbox's of old processed event ids), so no service that installs it can forget
them. Work that need not run every round (a purge) keeps an Interval. Every web process runs them all in
one daemon thread every SWEEP_SECONDS (started by common.entrypoints, so manage.py
commands and tests do not); `python manage.py sweep` runs them once (cron, tests).
A sweep must be safe to run in several processes at once (one per replica): it takes
each thing in a transaction that checks it again under a lock.

With tracing on (common.telemetry) each round is a trace: a span per sweep, with how
many things it changed (`bookstore.sweep.changed`) and its statements and calls.
"""

import logging
import threading
import time
from collections.abc import Callable
from functools import cache

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils.module_loading import import_string

from common import telemetry

logger = logging.getLogger(__name__)


@cache
def _sweep(path: str) -> Callable[[], int]:
    sweep: Callable[[], int] = import_string(path)
    return sweep


class Interval:
    """When a sweep's occasional work (a purge) is due in this process: at its first
    round, then `seconds()` after its last pass finished; never while `seconds()` is 0 or
    less. The sweep calls finished() when its pass is done: after a success only, so a
    pass the database refused is tried again next round, and a pass done in batches goes
    on at the next round (at once after a round that changed something, see run)."""

    def __init__(self, seconds: Callable[[], float]) -> None:
        self.seconds = seconds
        self.last: float | None = None  # time.monotonic() when the last pass finished

    def due(self) -> bool:
        every = self.seconds()
        return every > 0 and (self.last is None or time.monotonic() - self.last >= every)

    def finished(self) -> None:
        self.last = time.monotonic()


def sweep_paths() -> list[str]:
    """This service's sweeps: settings.SWEEPS, then those of its installed apps."""
    paths = list(getattr(settings, "SWEEPS", []))
    for app in apps.get_app_configs():
        paths.extend(getattr(app, "sweeps", ()))
    return paths


def sweep_once() -> int:
    """Run every sweep of this service once; how many things they changed in all.
    One failing sweep is logged and does not keep the others from running."""
    changed = 0
    for path in sweep_paths():
        try:
            with telemetry.span(f"sweep {path.rsplit('.', 1)[-1]}", attributes={"bookstore.sweep": path}) as span:
                done = _sweep(path)() or 0
                if span is not None:
                    span.set_attribute("bookstore.sweep.changed", done)
            changed += done
        except DatabaseError as exc:  # not migrated yet, or the server is down: next round
            logger.warning("sweep %s: database unavailable: %s", path, exc)
            connection.close()
        except Exception:
            logger.exception("sweep %s failed", path)
    return changed


def run(stop: threading.Event, *, every_seconds: float) -> None:
    """Sweep until `stop` is set: at once again after a round that changed something
    (there may be more), else after `every_seconds`."""
    while not stop.is_set():
        close_old_connections()
        # A trace per round (common.telemetry), whatever was current when the thread started.
        with telemetry.span("sweeps", new_trace=True):
            changed = sweep_once()
        if not changed:
            stop.wait(every_seconds)
    connection.close()


def start_in_background() -> threading.Thread | None:
    """The web process's sweep thread; none when the service has no sweeps or
    SWEEP_SECONDS is 0."""
    every_seconds = settings.SWEEP_SECONDS
    if not sweep_paths() or every_seconds <= 0:
        return None
    thread = threading.Thread(
        target=run, args=(threading.Event(),), kwargs={"every_seconds": every_seconds}, name="sweeps", daemon=True
    )
    thread.start()
    return thread
