"""common.verified_tokens: each distinct bearer token verified once per process, its dates
at every use, and nothing else about a request's checks changed."""

import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt import state
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token

from common import verified_tokens
from common.auth import ClaimsAuthentication, mint_access_token, service_token
from common.revocation.services import RECENT, account_revoke
from common.verified_tokens import VERIFIED

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    VERIFIED.forget()
    yield
    VERIFIED.forget()


@pytest.fixture
def verifications(monkeypatch):
    """How many times a token's signature was checked, by token."""
    seen: Counter[str] = Counter()
    decode = state.token_backend.decode

    def counting(token, verify=True):
        seen[token.decode() if isinstance(token, bytes) else token] += 1
        return decode(token, verify=verify)

    monkeypatch.setattr(state.token_backend, "decode", counting)
    return seen


@contextmanager
def clock_moved(seconds: float):
    """Every clock a token's dates are read by (PyJWT's and the cache's), moved on (or back)."""
    real_now, real_time = datetime.now, time.time

    class MovedDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return real_now(tz) + timedelta(seconds=seconds)

    moved_time = SimpleNamespace(time=lambda: real_time() + seconds)
    with mock.patch("jwt.api_jwt.datetime", MovedDatetime), mock.patch.object(verified_tokens, "time", moved_time):
        yield


validate = JWTStatelessUserAuthentication().get_validated_token


def whoami(api_client, token: str):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client.get("/whoami/")


def changed_at(token: str, index: int) -> str:
    """`token` with the character at `index` changed (to another base64url character)."""
    replacement = "B" if token[index] == "A" else "A"
    return token[:index] + replacement + token[index + 1 :]


def test_a_token_is_verified_once_and_answers_the_same_every_time(api_client, verifications):
    token = mint_access_token(user_id=5, username="ada")

    bodies = [whoami(api_client, token).json() for _ in range(3)]

    assert verifications[token] == 1
    assert bodies[0]["id"] == 5
    assert bodies[0] == bodies[1] == bodies[2]


def test_with_a_size_of_zero_every_request_verifies(api_client, verifications, settings):
    settings.VERIFIED_TOKENS_CACHE_SIZE = 0
    token = mint_access_token(user_id=5, username="ada")

    assert [whoami(api_client, token).status_code for _ in range(3)] == [200, 200, 200]

    assert verifications[token] == 3
    assert len(VERIFIED) == 0


def test_a_verified_token_that_has_since_expired_is_refused_as_without_the_cache(api_client, settings):
    token = mint_access_token(user_id=5, username="ada", lifetime=timedelta(minutes=5))
    assert whoami(api_client, token).status_code == 200

    with clock_moved(5 * 60 + 1), pytest.raises(InvalidToken) as cached_refusal:
        ClaimsAuthentication().get_validated_token(token.encode())
    assert whoami(api_client, token).status_code == 200  # verified again: in date on the real clock
    with clock_moved(5 * 60 + 1):
        cached_then_expired = whoami(api_client, token)
        settings.VERIFIED_TOKENS_CACHE_SIZE = 0
        never_cached = whoami(api_client, token)
        with pytest.raises(InvalidToken) as uncached_refusal:
            ClaimsAuthentication().get_validated_token(token.encode())

    refusals = [{**response.json()["error"], "request_id": None} for response in (cached_then_expired, never_cached)]
    assert cached_then_expired.status_code == never_cached.status_code == 401
    assert refusals[0] == refusals[1]
    assert cached_refusal.value.detail == uncached_refusal.value.detail
    assert cached_refusal.value.detail["messages"][0]["message"] == "Token is expired"


def test_a_verified_token_is_refused_before_its_not_before(api_client):
    """Its `nbf` passed when it was verified; the clock stepped back since."""
    token = AccessToken()
    token["user_id"], token["username"] = 5, "ada"
    token["nbf"] = int(timezone.now().timestamp())
    raw = str(token)
    assert whoami(api_client, raw).status_code == 200

    with clock_moved(-60):
        assert whoami(api_client, raw).status_code == 401

    assert whoami(api_client, raw).status_code == 200


def test_the_leeway_is_applied_to_a_verified_token_as_on_its_first_use(api_client, verifications, monkeypatch):
    monkeypatch.setattr(state.token_backend, "leeway", 60)
    token = mint_access_token(user_id=5, username="ada", lifetime=timedelta(seconds=-30))

    assert [whoami(api_client, token).status_code for _ in range(2)] == [200, 200]
    assert verifications[token] == 1


@pytest.mark.parametrize("part", ["payload", "signature"])
def test_a_verified_token_changed_in_one_character_is_refused(api_client, verifications, part):
    token = mint_access_token(user_id=5, username="ada")
    header, payload, signature = token.split(".")
    # Inside the part: the last character of a segment may carry only padding bits.
    index = len(header) + 1 + len(payload) // 2 if part == "payload" else len(token) - len(signature) // 2
    tampered = changed_at(token, index)
    assert whoami(api_client, token).status_code == 200

    assert [whoami(api_client, tampered).status_code for _ in range(2)] == [401, 401]
    assert verifications[tampered] == 2  # a refusal is never kept
    assert whoami(api_client, token).status_code == 200


def test_a_verified_token_is_refused_once_its_account_is_revoked(api_client, django_capture_on_commit_callbacks):
    token = mint_access_token(user_id=5, username="ada")
    assert whoami(api_client, token).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        account_revoke(user_id=5, at=timezone.now(), erased=False)

    response = whoami(api_client, token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_a_refresh_token_is_refused_where_an_access_token_is_required(api_client):
    refresh = RefreshToken()
    refresh["user_id"] = 5
    access = refresh.access_token
    assert whoami(api_client, str(access)).status_code == 200

    assert [whoami(api_client, str(refresh)).status_code for _ in range(2)] == [401, 401]
    assert len(VERIFIED) == 1


def test_the_least_recently_used_token_is_dropped_beyond_the_size(api_client, verifications, settings):
    settings.VERIFIED_TOKENS_CACHE_SIZE = 2
    first, second, third = (mint_access_token(user_id=n, username=f"u{n}") for n in (1, 2, 3))

    for token in (first, second, first, third):  # `first` used again, so `second` is the oldest
        whoami(api_client, token)
    assert len(VERIFIED) == 2
    for token in (first, third, second):
        whoami(api_client, token)

    assert (verifications[first], verifications[second], verifications[third]) == (1, 2, 1)


def test_each_request_gets_its_own_claims():
    token = mint_access_token(user_id=5, username="ada")
    one = VERIFIED.get_or_validate(token.encode(), validate)
    one["is_staff"] = True

    assert VERIFIED.get_or_validate(token.encode(), validate)["is_staff"] is False


def test_another_signing_key_verifies_every_token_again(api_client, settings, monkeypatch):
    old_key_token = mint_access_token(user_id=5, username="ada")
    assert whoami(api_client, old_key_token).status_code == 200
    new_key = "another-signing-key-of-at-least-32-bytes-0123"

    # simplejwt builds its backend once, at import; a deployment with a new key restarts.
    monkeypatch.setattr(state, "token_backend", TokenBackend("HS256", new_key))
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": new_key}

    assert whoami(api_client, old_key_token).status_code == 401
    assert whoami(api_client, mint_access_token(user_id=5, username="ada")).status_code == 200


def test_a_validation_finished_after_the_settings_changed_is_not_kept():
    token = mint_access_token(user_id=5, username="ada")

    def validated_while_the_settings_change(raw: bytes) -> Token:
        VERIFIED.forget()
        return validate(raw)

    VERIFIED.get_or_validate(token.encode(), validated_while_the_settings_change)

    assert len(VERIFIED) == 0


def test_many_threads_at_once(settings):
    settings.VERIFIED_TOKENS_CACHE_SIZE = 8  # fewer than the tokens, so threads evict each other's
    settings.REVOCATIONS_REFRESH_SECONDS = 3600
    RECENT.forget(read_again=False)  # no revocations, and no database asked from the threads
    tokens = [mint_access_token(user_id=n, username=f"u{n}") for n in range(1, 13)]
    tokens.append(service_token())
    claims = {token: AccessToken(token).payload for token in tokens}
    authentication = ClaimsAuthentication()
    factory = APIRequestFactory()
    errors: list[BaseException] = []
    wrong: list[tuple[dict, dict]] = []

    def shopper(offset: int) -> None:
        try:
            for round_ in range(200):
                token = tokens[(offset + round_) % len(tokens)]
                request = factory.get("/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")
                user, validated = authentication.authenticate(request)
                if validated.payload != claims[token] or user.id != claims[token]["user_id"]:
                    wrong.append((claims[token], validated.payload))
        except BaseException as error:  # the test reports it; a thread would only print it
            errors.append(error)

    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(8)]
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often, so an unguarded step is interrupted
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)

    assert errors == []
    assert wrong == []
    assert len(VERIFIED) <= 8
