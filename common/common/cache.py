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
import json
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
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

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


# How long a part's version is kept unless written: past it, that part's answers are read
# once more from the database, so that parts read or written long ago do not fill Redis.
PART_VERSION_SECONDS = 24 * 3600


class ReadCache:
    """Answers of a family of reads (the catalog's), kept until the next write to what they
    read: every answer is filed with the versions of what it read, and a write makes new
    versions once it commits, so the next read of those answers goes to the database.

    A read that names a `part` (one book) read only that part of the family: its answer
    is renewed by a write to that part (`changed(part)`) or to the whole family
    (`changed()`), not by writes to other parts. Any other answer is renewed by every write.

    A read takes the versions before it reads the database: an answer computed from data
    a write then changed is filed with the old versions, and the next read, seeing new
    ones, does not take it. The versions and the answer are read in one round trip. The
    answers also expire after a while (`seconds_setting`), which bounds how late a write
    is seen when the cache could not be told of it (Redis unreachable at that moment).

    An answer is keyed by the request's absolute URL (host, path, query): answers hold
    links built from it. Only what every caller may see belongs here."""

    def __init__(self, family: str, *, seconds_setting: str) -> None:
        self.family = family
        self.seconds_setting = seconds_setting  # a Django setting: how long an answer is kept; 0 keeps none
        self.version_key = f"{family}:version"  # the whole family's
        self._any_part_key = f"{family}:version:any-part"  # renewed with every part's

    def response(self, request: Request, compute: Callable[[], Any], *, part: str | None = None) -> Response:
        """The answer to this request: the cached one, or compute()'s, filed for the next
        one once rendered. `part`: the answer reads only that part of the family.

        An answer is filed as the bytes this request's renderer wrote for it, with the
        renderer and media type they were written for; a later request that negotiated
        the same is answered with those bytes, not decoded and rendered again; any other
        renders what they say."""
        seconds = getattr(settings, self.seconds_setting)
        if seconds <= 0:
            return Response(compute())
        version_keys = [self.version_key, self._any_part_key if part is None else self._part_key(part)]
        # Not the key of the pickled answers filed before (a process of the last release may
        # still read and write those during a deploy).
        key = f"{self.family}:rendered:{hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()}"
        rendering = _rendering_of(request)
        found = cache.get_many([*version_keys, key])
        versions: tuple[Any, ...] = tuple(found.get(version_key) for version_key in version_keys)
        if None not in versions:
            filed = found.get(key)
            if filed is not None and filed[0] == versions:
                return _Filed(filed[2]) if filed[1] == rendering else Response(json.loads(filed[2]))
        else:  # first read, or evicted: any new version will do
            made = self._versions_made(version_keys)
            if made is None:  # no cache to be had: the database answers
                return Response(compute())
            versions = made
        return _Filing(compute(), lambda rendered: cache.set(key, (versions, rendering, rendered), seconds))

    def changed(self, part: str | None = None) -> None:
        """What this family's answers say is out of date once the current transaction
        commits (at once outside a transaction): every answer, or with `part` those that
        read that part and those that read the whole family."""
        keys = [self.version_key] if part is None else [self._part_key(part), self._any_part_key]
        transaction.on_commit(lambda: self._renew(keys))

    def _part_key(self, part: str) -> str:
        return f"{self.family}:version:part:{part}"

    def _versions_made(self, version_keys: list[str]) -> tuple[Any, ...] | None:
        for version_key in version_keys:
            cache.add(version_key, uuid.uuid4().hex, self._kept_for(version_key))
        found = cache.get_many(version_keys)
        versions = tuple(found.get(version_key) for version_key in version_keys)
        return None if None in versions else versions

    def _renew(self, version_keys: list[str]) -> None:
        for version_key in version_keys:
            cache.set(version_key, uuid.uuid4().hex, self._kept_for(version_key))

    def _kept_for(self, version_key: str) -> int | None:
        return PART_VERSION_SECONDS if version_key.startswith(self._part_key("")) else None


def _rendering_of(request: Request) -> tuple[str, str]:
    """The renderer and media type content negotiation chose for `request` (DRF chooses
    before the view runs), which make an answer's bytes from what it says."""
    renderer = type(request.accepted_renderer)
    return f"{renderer.__module__}.{renderer.__qualname__}", request.accepted_media_type


class _Filing(Response):
    """compute()'s answer, handed to `file` as it is rendered (on a 200: an answer is
    200 or raised)."""

    def __init__(self, data: Any, file: Callable[[bytes], None]) -> None:
        super().__init__(data)
        self._file = file

    @property
    def rendered_content(self) -> bytes:  # type: ignore[override]  # DRF's is bytes; the stubs say str
        rendered: bytes = super().rendered_content
        self._file(rendered)
        return rendered


class _Filed(Response):
    """A filed answer: its bytes as the renderer negotiated for this request wrote them
    (through DRF's rendering, which sets the Content-Type from that renderer)."""

    def __init__(self, rendered: bytes) -> None:
        self._rendered = rendered
        super().__init__()

    @property
    def data(self) -> Any:
        """What the body says, for whoever reads the response's data (tests)."""
        return json.loads(self._rendered)

    @data.setter
    def data(self, value: None) -> None:
        pass  # Response.__init__'s None: the body is in hand

    @property
    def rendered_content(self) -> bytes:  # type: ignore[override]  # DRF's is bytes; the stubs say str
        self.accepted_renderer = _Replay(self.accepted_renderer, self._rendered)
        rendered: bytes = super().rendered_content
        return rendered


class _Replay(BaseRenderer):
    """A renderer's media type and charset, writing the bytes it wrote before."""

    def __init__(self, renderer: BaseRenderer, rendered: bytes) -> None:
        self.media_type, self.charset = renderer.media_type, renderer.charset
        self._rendered = rendered

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return self._rendered
