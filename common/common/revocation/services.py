"""Recording revoked accounts, and asking whether a token is revoked (common.revocation)."""

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from common.revocation.models import RevokedAccount
from common.statements import statement_by_key


def _access_lifetime() -> timedelta:
    lifetime: timedelta = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    return lifetime


class _RecentRevocations:
    """This process's copy of the revocations that can still matter to a token (those
    younger than an access token's life): user id -> revoked at (epoch seconds), read
    again every REVOCATIONS_REFRESH_SECONDS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revoked: dict[int, float] = {}
        self._read_at = float("-inf")

    def revoked_at(self, user_id: int) -> float | None:
        now = time.monotonic()
        if now - self._read_at >= settings.REVOCATIONS_REFRESH_SECONDS:
            with self._lock:
                if now - self._read_at >= settings.REVOCATIONS_REFRESH_SECONDS:
                    since = timezone.now() - _access_lifetime()
                    rows = RevokedAccount.objects.filter(revoked_at__gt=since).values_list("user_id", "revoked_at")
                    self._revoked = {user: at.timestamp() for user, at in rows}
                    self._read_at = now
        return self._revoked.get(user_id)

    def add(self, user_id: int, revoked_at: datetime) -> None:
        """Known in this process at once, without waiting for the next read."""
        with self._lock:
            self._revoked = {**self._revoked, user_id: revoked_at.timestamp()}

    def forget(self, *, read_again: bool) -> None:
        """Drop this copy: read again at the next token, or (tests) taken as just read, empty."""
        with self._lock:
            self._revoked = {}
            self._read_at = float("-inf") if read_again else time.monotonic()


RECENT = _RecentRevocations()


def token_revoked(*, user_id: int, issued_at: float) -> bool:
    """Whether a token of `user_id` issued at `issued_at` (its `iat`, epoch seconds) was
    issued before its account was deleted or deactivated."""
    revoked_at = RECENT.revoked_at(user_id)
    return revoked_at is not None and issued_at <= revoked_at


@transaction.atomic
def account_revoke(*, user_id: int, at: datetime, erased: bool) -> None:
    """Tokens of `user_id` issued up to `at` are refused from now on; `erased`: the
    account is deleted (kept for good). A later revocation moves the moment on; a
    deletion is never undone by a deactivation heard after it."""
    revocation, created = RevokedAccount.objects.select_for_update().get_or_create(
        user_id=user_id, defaults={"revoked_at": at, "erased": erased}
    )
    if not created:
        revocation.revoked_at = max(revocation.revoked_at, at)
        revocation.erased = revocation.erased or erased
        revocation.save(update_fields=["revoked_at", "erased"])
    # Deactivations older than any token still alive can go (deletions stay).
    RevokedAccount.objects.filter(erased=False, revoked_at__lte=timezone.now() - _access_lifetime()).delete()
    transaction.on_commit(lambda: RECENT.add(user_id, revocation.revoked_at))


# account_erased's query, its SQL compiled by the ORM once for the process: building it
# was most of what the question cost, asked for every event a service makes something
# personal from.
_erased_statement = statement_by_key(
    lambda user_id: RevokedAccount.objects.filter(user_id=user_id, erased=True).order_by().values_list("pk")[:1]
)


def account_erased(user_id: int) -> bool:
    """Whether this account was deleted: an event about it arriving now makes nothing."""
    with connection.cursor() as cursor:
        cursor.execute(_erased_statement(), [user_id])
        return cursor.fetchone() is not None


def event_handlers(erase: Callable[[int], Any] | None = None) -> dict[str, Callable[..., object]]:
    """The handlers of account.deleted and account.deactivated for a service's
    EventReceiverView: the account's tokens are revoked here, and on deletion `erase`
    (user_id) removes or anonymises what the service holds about the person, in the
    same transaction."""

    def deleted(payload: dict[str, Any]) -> None:
        account_revoke(user_id=payload["user_id"], at=payload["deleted_at"], erased=True)
        if erase is not None:
            erase(payload["user_id"])

    def deactivated(payload: dict[str, Any]) -> None:
        account_revoke(user_id=payload["user_id"], at=payload["deactivated_at"], erased=False)

    return {"account.deleted": deleted, "account.deactivated": deactivated}
