"""Throttling of failed logins, per username and per client address.

Failures are rows of LoginFailure in this service's database, not counters in a
per-process cache, so all replicas count the same failures, and a count
is one indexed query. Each attempt is written before the password is checked and
counts as a failure until the password proves right, so concurrent guesses see
each other and a burst gets no more than the limit through. A successful login
removes its username's failures.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework.request import Request

from accounts.models import LoginFailure


def client_address(request: Request) -> str:
    """The client's address: the one the gateway saw, or the peer's when the service
    is called directly (common.forwarded believes X-Forwarded-For from our own
    proxies only, so a client cannot pick a fresh address for each guess)."""
    return request.META.get("REMOTE_ADDR", "")[:45]


def username_key(username: str) -> str:
    return username.strip().lower()[:150]


@dataclass(frozen=True)
class Blocked:
    reason: str  # "username" or "address"
    retry_after_seconds: int


def window_start(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_blocked(*, username: str, address: str, attempt: LoginFailure) -> Blocked | None:
    """Whether this username or address has failed too often within the window (not
    counting `attempt`, the one being made), and for how long: until its oldest
    counted failure leaves the window."""
    now = timezone.now()
    since = window_start(now)
    limits = (
        ("username", {"username_key": username_key(username)}, settings.LOGIN_FAILURES_PER_USERNAME),
        ("address", {"address": address}, settings.LOGIN_FAILURES_PER_ADDRESS),
    )
    for reason, match, limit in limits:
        failures = LoginFailure.objects.filter(failed_at__gt=since, **match).exclude(pk=attempt.pk)
        # The newest `limit` failures in one query: counted and dated from the same rows,
        # while concurrent attempts that were refused take theirs away again.
        latest = list(failures.order_by("-failed_at").values_list("failed_at", flat=True)[:limit])
        if len(latest) >= limit:
            # The failure that must leave the window for the count to drop below the limit.
            unblocks_at = latest[limit - 1] + timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
            return Blocked(reason, max(1, math.ceil((unblocks_at - now).total_seconds())))
    return None
