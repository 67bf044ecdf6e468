"""Django's cache for the services: Redis when REDIS_URL names one, shared by every replica;
otherwise each process's own memory (`make run` without Redis, the unit tests); the
setting is common.settings.cache_settings.

A cache is a shortcut, never a dependency: when Redis cannot be reached, reads miss and
writes are dropped (ForgivingRedisCache), and for a few seconds after a failure Redis is
not asked at all, so a dead cache costs a request nothing more than a cold one.

`ReadCache` keeps answers of reads until the next write to what they read
(docs/architecture.md, "Caches").
"""

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from rest_framework.request import Request

logger = logging.getLogger(__name__)

# After a failed call, how long Redis is left alone before it is tried again.
RETRY_AFTER_SECONDS = 5.0


class ForgivingRedisCache(RedisCache):
    """Django's Redis cache, where Redis being down or slow is a miss (reads) or nothing
    (writes), logged once per outage, instead of an exception in the request."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _call(self, name: str, default: Any, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < self._down_until:
            return default
        import redis

        try:
            result = getattr(super(), name)(*args, **kwargs)
        except redis.RedisError as exc:
            with self._lock:
                if time.monotonic() >= self._down_until:
                    logger.warning("cache unavailable, going on without it for %ss: %s", RETRY_AFTER_SECONDS, exc)
                self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            return default
        return result

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._call("get", default, key, default, version)

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return dict(self._call("get_many", {}, keys, version))

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._call("set", None, key, value, timeout, version)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return bool(self._call("add", False, key, value, timeout, version))

    def delete(self, key: Any, version: int | None = None) -> bool:
        return bool(self._call("delete", False, key, version))

    def clear(self) -> None:
        self._call("clear", None)


_MISSING = object()


class ReadCache:
    """Answers of a family of reads (the catalog's), kept until the next write to what they
    read: every answer is filed under the family's current version, and a write makes a
    new version once it commits, so the next read of every answer goes to the database.

    A read takes the version before it reads the database: an answer computed from data
    a write then changed is filed under the old version, which nobody asks any more. The
    answers also expire after a while (`seconds_setting`), which bounds how late a write is seen when the
    cache could not be told of it (Redis unreachable at that moment).

    An answer is keyed by the request's absolute URL (host, path, query): answers hold
    links built from it. Only what every caller may see belongs here."""

    def __init__(self, family: str, *, seconds_setting: str) -> None:
        self.family = family
        self.seconds_setting = seconds_setting  # a Django setting: how long an answer is kept; 0 keeps none
        self.version_key = f"{family}:version"

    def answer(self, request: Request, compute: Callable[[], Any]) -> Any:
        """The cached answer to this request, or compute() filed for the next one."""
        seconds = getattr(settings, self.seconds_setting)
        version = self._version() if seconds > 0 else None
        if version is None:  # no cache to be had: the database answers
            return compute()
        key = f"{self.family}:{version}:{hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()}"
        hit = cache.get(key, _MISSING)
        if hit is not _MISSING:
            return hit
        data = compute()
        cache.set(key, data, seconds)
        return data

    def changed(self) -> None:
        """What this family's answers say is out of date once the current transaction
        commits (at once outside a transaction)."""
        transaction.on_commit(self._renew)

    def _version(self) -> str | None:
        version = cache.get(self.version_key)
        if version is None:  # first read, or evicted: any new version will do
            cache.add(self.version_key, uuid.uuid4().hex, None)
            version = cache.get(self.version_key)
        return None if version is None else str(version)

    def _renew(self) -> None:
        cache.set(self.version_key, uuid.uuid4().hex, None)
