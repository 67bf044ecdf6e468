"""Claiming, completing and replaying Idempotency-Keys (see the package docstring)."""

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.encoding import force_bytes
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from common.auth import Caller
from common.db import create_unless_present
from common.errors import ApiError, Conflict
from common.idempotency.header import HEADER, REPLAYED_HEADER, key_valid
from common.idempotency.models import IdempotencyKey
from common.settings import env_float, live_setting
from common.sweeps import Interval

# The key claimed by the request idempotent() runs now, for complete_in_transaction.
_current: ContextVar[IdempotencyKey | None] = ContextVar("idempotency_key", default=None)


class IdempotencyErrorCode(StrEnum):
    KEY_REUSED = "idempotency_key_reused"
    KEY_IN_USE = "idempotency_key_in_use"


class UnprocessableEntity(ApiError):
    """422: well formed, but not acceptable as it is (a key reused with another request)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


def _setting(name: str, default: float) -> float:
    return live_setting(name, lambda: env_float(name, default))


def ttl() -> timedelta:
    """How long a finished key is kept (and replayed): at least 24 hours by default."""
    return timedelta(hours=_setting("IDEMPOTENCY_KEY_TTL_HOURS", 24.0))


def stale_after() -> timedelta:
    """An unfinished key older than this belongs to a request whose process died: it is taken over."""
    return timedelta(seconds=_setting("IDEMPOTENCY_STALE_SECONDS", 60.0))


def purge_seconds() -> float:
    """How often the sweep deletes every key past its lifetime, in each process."""
    return _setting("IDEMPOTENCY_PURGE_SECONDS", 3600.0)


def wait_seconds() -> float:
    """How long a replay waits for the first request with its key to finish."""
    return _setting("IDEMPOTENCY_WAIT_SECONDS", 10.0)


def key_from_request(request: Request, *, required: bool) -> str | None:
    """The Idempotency-Key header: 1-255 visible ASCII characters; 400 naming the header otherwise."""
    raw: str | None = request.headers.get(HEADER)
    if raw is None:
        if required:
            raise ValidationError(
                {HEADER: [f"This request needs an {HEADER} header (1-255 visible ASCII characters)."]}
            )
        return None
    if not key_valid(raw):
        raise ValidationError({HEADER: ["1 to 255 visible ASCII characters."]})
    return raw


def request_fingerprint(*, method: str, path: str, body: Any) -> str:
    """A keyed hash (HMAC with SECRET_KEY) of the request: bodies may hold secrets such
    as card numbers, and a plain hash of one could be reversed by trying them all."""
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(force_bytes(settings.SECRET_KEY), canonical.encode(), hashlib.sha256).hexdigest()


def key_claim(*, caller: str, key: str, fingerprint: str) -> IdempotencyKey:
    """The key's row: complete (a replay: send its stored answer) or newly claimed by
    this request. A first request with the same key still running is waited for."""
    deadline = time.monotonic() + wait_seconds()
    while True:
        now = timezone.now()
        # Claimed first, in one statement: the usual key is new. Other keys past their
        # lifetime are left to the purge sweep (keys_purge_sweep).
        claimed = create_unless_present(
            IdempotencyKey, unique=("caller", "key"), caller=caller, key=key, fingerprint=fingerprint, created_at=now
        )
        if claimed is not None:
            return claimed
        existing = IdempotencyKey.objects.filter(caller=caller, key=key).first()
        if existing is None:  # its first request failed and let it go meanwhile: claim it again
            continue
        if existing.created_at < now - ttl():
            # Past its lifetime: forgotten, as if never sent (no replay, any request may
            # use the key). Deleted only as it was read, so a racer's new claim of the key
            # is never deleted; whoever then claims it first wins, the other waits or is 422.
            IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        if not hmac.compare_digest(existing.fingerprint, fingerprint):
            raise UnprocessableEntity(
                f"This {HEADER} was used with a different request; use a new key for a new request.",
                code=IdempotencyErrorCode.KEY_REUSED,
            )
        if existing.is_complete:
            return existing
        stale = existing.created_at < now - stale_after()
        if stale and IdempotencyKey.objects.filter(
            pk=existing.pk, created_at=existing.created_at, response_status__isnull=True
        ).update(created_at=now):
            existing.created_at = now
            return existing
        if time.monotonic() > deadline:
            raise Conflict(
                f"A request with this {HEADER} is still being processed; retry shortly.",
                code=IdempotencyErrorCode.KEY_IN_USE,
            )
        time.sleep(0.05)


def key_complete(*, record: IdempotencyKey, response_status: int, response_body: Any) -> None:
    """Keep the first request's answer for replays."""
    record.response_status = response_status
    record.response_body = response_body
    record.completed_at = timezone.now()
    record.save(update_fields=["response_status", "response_body", "completed_at"])


def key_release(*, record: IdempotencyKey) -> None:
    """The request failed and did nothing: the same key may be sent again."""
    IdempotencyKey.objects.filter(pk=record.pk, response_status__isnull=True).delete()


def replay_response(record: IdempotencyKey) -> Response:
    return Response(record.response_body, status=record.response_status, headers={REPLAYED_HEADER: "true"})


def idempotent(request: Request, run: Callable[[], Response], *, required: bool = True) -> Response:
    """Answer `request` by `run()` once per Idempotency-Key: a replay gets the stored
    answer and does not run it again. An answer of 500 or more, or an exception,
    keeps no key (an error means nothing was done), so the key can be sent again."""
    key = key_from_request(request, required=required)
    if key is None:
        return run()
    fingerprint = request_fingerprint(method=request.method or "", path=request.path, body=request.data)
    record = key_claim(caller=Caller.of(request.user).key, key=key, fingerprint=fingerprint)
    if record.is_complete:
        return replay_response(record)
    claimed = _current.set(record)
    try:
        response = run()
    except BaseException:
        key_release(record=record)
        raise
    finally:
        _current.reset(claimed)
    if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        key_release(record=record)
    elif not record.is_complete:  # else kept by complete_in_transaction
        key_complete(record=record, response_status=response.status_code, response_body=response.data)
    return response


def complete_in_transaction(*, response_status: int, response_body: Any) -> None:
    """Keep the answer of the request being run by idempotent() now, inside the
    transaction that makes its result: if the process dies right after that commit, a
    replay still gets the answer instead of running again. Without a key, nothing."""
    record = _current.get()
    if record is not None:
        key_complete(record=record, response_status=response_status, response_body=response_body)


def keys_purge(*, older_than: timedelta | None = None) -> int:
    """Delete keys older than the lifetime (or `older_than`); returns how many went."""
    cutoff = timezone.now() - (older_than if older_than is not None else ttl())
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


_purge_interval = Interval(purge_seconds)


def keys_purge_sweep() -> int:
    """The sweep of the idempotency app (common.sweeps): keys_purge at most once per
    IDEMPOTENCY_PURGE_SECONDS in a process, at its first round, then after each interval;
    0: never (purge_idempotency_keys still does). A claim forgets only its own expired
    key, so without this the table would keep every key ever sent."""
    if not _purge_interval.due():
        return 0
    deleted = keys_purge()
    _purge_interval.finished()
    return deleted
