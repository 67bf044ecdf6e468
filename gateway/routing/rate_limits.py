"""Fixed-window rate limits at the edge: sign-up, login and asking for account emails
(a password reset, a new verification link) per client address, and
every write (anything but GET/HEAD/OPTIONS) per user, or per address without a token.

Counts live in the gateway's database, so they hold across the gateway's replicas
and restarts. A request is counted first and refused when its count passes the limit;
the count read back is at least the request's own place in the window, so no more
than the limit ever get through, whatever the concurrency.
"""

import functools
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from prometheus_client import Counter

from common.db import quoted_column, quoted_table
from common.errors import ErrorCode, error_response
from common.metrics import REGISTRY
from routing.models import RateCounter
from routing.rates import Rate


@dataclass(frozen=True)
class Refusal:
    kind: str
    retry_after: int


# The API's login and the back office's (backoffice.views.login), one limit for both.
LOGIN_PATHS = frozenset({"/api/auth/login/", "/admin/login/"})
# What sends an email to an account (customer_service also sends one per account per interval).
ACCOUNT_EMAIL_PATHS = frozenset({"/api/auth/password-reset/", "/api/auth/verify-email/resend/"})


def _client_address(request) -> str:
    # The client's own address, whatever X-Forwarded-For it sent (common.forwarded).
    return request.META.get("REMOTE_ADDR", "unknown")


def limits_for(request, user) -> list[tuple[str, str, Rate]]:
    """(kind, caller, rate) of every limit this request counts against."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return []
    rates = settings.GATEWAY_RATE_LIMITS
    limits = []
    if request.method == "POST" and request.path == "/api/accounts/":
        limits.append(("signup", _client_address(request), rates["signup"]))
    if request.method == "POST" and request.path in LOGIN_PATHS:
        limits.append(("login", _client_address(request), rates["login"]))
    if request.method == "POST" and request.path in ACCOUNT_EMAIL_PATHS:
        limits.append(("account_emails", _client_address(request), rates["account_emails"]))
    caller = f"user:{user.id}" if user is not None and user.id is not None else _client_address(request)
    if user is None or not user.is_service:
        limits.append(("writes", caller, rates["writes"]))
    return limits


REFUSALS = Counter(
    "gateway_rate_limit_refusals",
    "Requests the gateway refused with 429, by limit (signup, login, account_emails, writes).",
    ["limit"],
    registry=REGISTRY,
)


def check(request, user) -> Refusal | None:
    """Count the request against its limits; the first one it passes, if any."""
    for kind, caller, rate in limits_for(request, user):
        now = time.time()
        window_start = int(now // rate.period) * rate.period
        count = _count(f"{kind}:{caller}:{window_start}", expires_at=window_start + rate.period)
        if count > rate.limit:
            REFUSALS.labels(kind).inc()
            return Refusal(kind, retry_after=max(1, int(window_start + rate.period - now + 0.999)))
    return None


# One statement, atomic on PostgreSQL and SQLite (3.35+) alike: start the window's
# counter or add one to it, and read the result. It replaced an UPDATE, a SELECT and a
# transaction around them, which cost the gateway more CPU than forwarding the request
# (docs/performance.md).
_COUNT_SQL = (
    "INSERT INTO {table} ({key}, {count}, {expires_at}) VALUES (%s, 1, %s) "
    "ON CONFLICT ({key}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count}"
)


@functools.cache
def _count_statement() -> str:
    columns = {name: quoted_column(RateCounter, name) for name in ("key", "count", "expires_at")}
    return _COUNT_SQL.format(table=quoted_table(RateCounter), **columns)


def _count(key: str, *, expires_at: float) -> int:
    statement = _count_statement()
    with connection.cursor() as cursor:
        cursor.execute(statement, [key, expires_at])
        (count,) = cursor.fetchone()
    if random.random() < 0.01:  # noqa: S311 (housekeeping, not security): drop ended windows now and then
        RateCounter.objects.filter(expires_at__lt=time.time()).delete()
    return count


def refusal_response(refusal: Refusal):
    response = error_response(
        429,
        ErrorCode.THROTTLED,
        f"Too many requests ({refusal.kind}); try again in {refusal.retry_after} s.",
        {"limit": refusal.kind, "retry_after": refusal.retry_after},
    )
    response["Retry-After"] = str(refusal.retry_after)
    return response
