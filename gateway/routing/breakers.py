"""A circuit breaker per service: after GATEWAY_BREAKER_FAILURES consecutive
failures to reach a service (connection refused or reset, or a read timeout), the
gateway answers 503 at once for GATEWAY_BREAKER_RESET_SECONDS instead of making
every caller wait for the timeout; then one trial request goes through, and its
success closes the breaker again (its failure opens it for another cool-down).

A service's own 4xx/5xx answers do not count: a 503 from the cart service because
the book service is down says nothing about the cart service's health. The state is
per gateway process (in memory, shared by its threads), so each replica learns on its
own.

Written here rather than taken from pybreaker: pybreaker holds its lock for the
whole protected call (danielfm/pybreaker#55), so a process could have only one
request in flight per service, and one slow answer held up every other caller.
Here the lock guards the counters only; calls run side by side.
"""

import math
import threading
import time
from collections.abc import Iterator
from types import TracebackType

from django.conf import settings
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from urllib3.exceptions import HTTPError

from common import metrics
from common.lazy import PerKey

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class BreakerOpen(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"circuit open, next trial in {retry_after} s")
        self.retry_after = retry_after


class CircuitBreaker:
    def __init__(self, name: str, fail_max: int, reset_seconds: float, clock=time.monotonic):
        self.name = name
        self.fail_max = fail_max
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return CLOSED
        return HALF_OPEN if self._trial_in_flight or self._cooled_down() else OPEN

    def guard(self) -> "Guarded":
        """Runs the block if the breaker lets it (else raises BreakerOpen); a
        urllib3 HTTPError out of the block counts as a failure, anything else
        coming out of it as a success."""
        return Guarded(self)

    def _cooled_down(self) -> bool:
        return self._opened_at is not None and self._clock() - self._opened_at >= self.reset_seconds

    def _admit(self) -> bool:
        """True when this call is the one trial after a cool-down."""
        with self._lock:
            if self._opened_at is None:
                return False
            if self._trial_in_flight or not self._cooled_down():
                remaining = self.reset_seconds - (self._clock() - self._opened_at)
                raise BreakerOpen(max(1, math.ceil(remaining)))
            self._trial_in_flight = True
            return True

    def _record(self, *, success: bool, trial: bool) -> None:
        with self._lock:
            if trial:
                self._trial_in_flight = False
            if success:
                self._failures = 0
                if trial or self._opened_at is None:
                    self._opened_at = None
                return
            self._failures += 1
            if trial or (self._opened_at is None and self._failures >= self.fail_max):
                self._opened_at = self._clock()


class Guarded:
    """A call under a breaker (CircuitBreaker.guard). A class rather than a generator's
    context manager: every forwarded request goes through one."""

    __slots__ = ("breaker", "trial")

    def __init__(self, breaker: CircuitBreaker):
        self.breaker = breaker
        self.trial = False

    def __enter__(self) -> None:
        self.trial = self.breaker._admit()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.breaker._record(success=exc_type is None or not issubclass(exc_type, HTTPError), trial=self.trial)


breakers = PerKey(
    lambda service: CircuitBreaker(service, settings.GATEWAY_BREAKER_FAILURES, settings.GATEWAY_BREAKER_RESET_SECONDS)
)
breaker_for = breakers.get


# gateway_circuit_breaker_state: a number, so a dashboard can plot it and an alert compare it.
STATE_VALUES = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}


class BreakerStates(Collector):
    """Each service's breaker in this gateway process, read when Prometheus scrapes."""

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "gateway_circuit_breaker_state",
            "The gateway's circuit breaker of each service: 0 closed, 1 half-open (a trial may go), 2 open.",
            labels=["peer"],
        )
        for service in settings.SERVICE_URLS:
            if service != settings.SERVICE_NAME:
                gauge.add_metric([service], STATE_VALUES[breaker_for(service).state])
        yield gauge


metrics.register("gateway_breakers", BreakerStates)
