"""One object per key, made on first use and shared by every thread of the process:
the pooled client of each peer service, each URL subscriber's client, the gateway's
circuit breaker of each service."""

import threading
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_every: "weakref.WeakSet[PerKey[Any]]" = weakref.WeakSet()


class PerKey(Generic[T]):
    def __init__(self, make: Callable[[str], T]):
        self._make = make
        self._made: dict[str, T] = {}
        self._lock = threading.Lock()
        _every.add(self)

    def get(self, key: str) -> T:
        # Read without the lock: after the first use of a key, every call takes this path.
        made = self._made.get(key)
        if made is None:
            with self._lock:
                made = self._made.get(key)
                if made is None:
                    made = self._made[key] = self._make(key)
        return made

    def forget(self) -> None:
        """Make each one anew on its next use (tests that change the settings it is made from)."""
        with self._lock:
            self._made.clear()


def forget_all() -> None:
    """Every PerKey forgets what it made (the test plugin, after each test, so a test
    that changed the settings they are made from leaves nothing behind)."""
    for per_key in list(_every):
        per_key.forget()
