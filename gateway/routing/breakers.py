"""A circuit breaker per service (pybreaker): after GATEWAY_BREAKER_FAILURES
consecutive failures to reach a service (connection refused or reset, or a read
timeout), the gateway answers 503 at once for GATEWAY_BREAKER_RESET_SECONDS
instead of making every caller wait for the timeout; then one trial request goes
through, and its success closes the breaker again.

A service's own 4xx/5xx answers do not count: a 503 from the cart service because
the book service is down says nothing about the cart service's health. The state is
per gunicorn worker process (in memory), so each worker learns on its own.
"""

import datetime
import threading

import pybreaker
from django.conf import settings

_breakers: dict[str, pybreaker.CircuitBreaker] = {}
_lock = threading.Lock()


def breaker_for(service: str) -> pybreaker.CircuitBreaker:
    breaker = _breakers.get(service)
    if breaker is None:
        with _lock:
            breaker = _breakers.get(service)
            if breaker is None:
                breaker = _breakers[service] = pybreaker.CircuitBreaker(
                    fail_max=settings.GATEWAY_BREAKER_FAILURES,
                    reset_timeout=settings.GATEWAY_BREAKER_RESET_SECONDS,
                    name=service,
                    throw_new_error_on_trip=False,  # the tripping call keeps its own 503/504
                )
    return breaker


def seconds_until_trial(breaker: pybreaker.CircuitBreaker) -> int:
    opened_at = breaker._state_storage.opened_at
    if opened_at is None:
        return breaker.reset_timeout
    elapsed = (datetime.datetime.now(datetime.UTC) - opened_at).total_seconds()
    return max(1, int(breaker.reset_timeout - elapsed + 0.999))
