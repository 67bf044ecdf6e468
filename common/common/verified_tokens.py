"""The bearer tokens this process has verified (common.auth.ClaimsAuthentication).

A shopper sends the same access token with every request, and a service its service
token with every call, so each distinct token's signature is checked once per process
and only its dates at each use. Keyed by the token's exact text: a token changed in any
character is another key, verified in full."""

import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from rest_framework_simplejwt.tokens import Token

DEFAULT_SIZE = 4096


class VerifiedTokens:
    """Validated tokens by their raw text, the least recently used dropped beyond
    VERIFIED_TOKENS_CACHE_SIZE (0: none kept, every token verified in full). Only
    validations that succeeded are kept. A kept token whose `exp` has passed (or whose
    `nbf` has not come) is dropped and validated again, so it is refused with
    simplejwt's own error."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: OrderedDict[bytes, Token] = OrderedDict()
        # Moves on at each forget(), so a validation under the old settings is not kept.
        self._generation = 0

    def get_or_validate(self, raw_token: bytes, validate: Callable[[bytes], Token]) -> Token:
        size = getattr(settings, "VERIFIED_TOKENS_CACHE_SIZE", DEFAULT_SIZE)
        if size <= 0:
            return validate(raw_token)
        with self._lock:
            cached = self._tokens.get(raw_token)
            if cached is not None and _in_date(cached):
                self._tokens.move_to_end(raw_token)
            elif cached is not None:
                del self._tokens[raw_token]
                cached = None
            generation = self._generation
        if cached is not None:
            return _own_copy(cached)
        token = validate(raw_token)  # raises for a bad token, which is never kept
        with self._lock:
            if generation == self._generation:
                self._tokens[raw_token] = token
                while len(self._tokens) > size:
                    self._tokens.popitem(last=False)
        return _own_copy(token)

    def forget(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._generation += 1

    def __len__(self) -> int:
        return len(self._tokens)


def _in_date(token: Token) -> bool:
    """PyJWT's own comparisons (jwt.api_jwt), with the leeway of the backend that
    verified the token, so a token is in date here exactly when it would be there."""
    leeway = token.get_token_backend().get_leeway().total_seconds()
    now = time.time()
    if int(token["exp"]) <= now - leeway:
        return False
    not_before = token.get("nbf")
    return not_before is None or int(not_before) <= now + leeway


def _own_copy(token: Token) -> Token:
    # Each request gets its own (request.auth): claims set on one are not seen by another.
    copied = copy.copy(token)
    copied.payload = dict(token.payload)
    return copied


VERIFIED = VerifiedTokens()


def _forget_on_jwt_change(*, setting: str, **kwargs: Any) -> None:
    """A token verified under other SIMPLE_JWT settings (another signing key, say) is
    verified again (tests change them with override_settings)."""
    if setting == "SIMPLE_JWT":
        VERIFIED.forget()


setting_changed.connect(_forget_on_jwt_change)
