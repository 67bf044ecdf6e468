"""Edge auth, rate limits, the body size limit, the circuit breaker, CORS and the
access log: all decided at the gateway, before (or instead of) calling a service."""

import datetime
import logging
import time
from types import SimpleNamespace

import jwt
import pytest
from django.conf import settings as django_settings
from rest_framework_simplejwt import state

from common import verified_tokens
from common.auth import mint_access_token
from common.verified_tokens import VERIFIED
from routing import breakers, proxy
from routing.public_routes import PUBLIC_ROUTES, is_public
from routing.rates import Rate

pytestmark = pytest.mark.django_db


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def customer_token(user_id: int = 5) -> str:
    return mint_access_token(user_id=user_id, username=f"user{user_id}")


def forged_token() -> str:
    claims = {"token_type": "access", "user_id": 1, "is_staff": True, "exp": 4102444800, "jti": "x"}
    return jwt.encode(claims, "not-our-key-0123456789abcdef0123456789", algorithm="HS256")


def expired_token() -> str:
    return mint_access_token(user_id=5, lifetime=datetime.timedelta(seconds=-1))


def none_alg_token() -> str:
    claims = {"token_type": "access", "user_id": 1, "is_staff": True, "exp": 4102444800, "jti": "x"}
    return jwt.encode(claims, key=None, algorithm="none")


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/orders/"), ("post", "/api/carts/5/items/"), ("delete", "/api/books/1/"), ("get", "/api/carts/5/")],
)
def test_a_protected_route_without_a_token_is_401_and_no_service_is_called(client, upstream, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert upstream.seen == []


@pytest.mark.parametrize("make_token", [forged_token, expired_token, none_alg_token, lambda: "not.a.jwt"])
def test_a_bad_token_is_401_at_the_gateway(client, upstream, make_token):
    response = client.get("/api/books/1/", **bearer(make_token()))  # public, so the service decides...
    assert response.status_code == 201
    response = client.post("/api/books/", data={}, content_type="application/json", **bearer(make_token()))
    assert response.status_code == 401  # ...but a write needs a valid token here
    assert response.json()["error"]["code"] == "token_not_valid"
    assert len(upstream.seen) == 1


def test_a_valid_token_is_passed_on(client, upstream):
    token = customer_token()
    response = client.post("/api/books/", data={}, content_type="application/json", **bearer(token))
    assert response.status_code == 201
    assert upstream.seen[0]["headers"]["Authorization"] == f"Bearer {token}"


def test_a_token_is_verified_once_at_the_edge_and_a_changed_copy_is_not_taken(client, upstream, monkeypatch):
    VERIFIED.forget()
    verified: list[str] = []
    decode = state.token_backend.decode
    monkeypatch.setattr(
        state.token_backend, "decode", lambda token, verify=True: verified.append(token) or decode(token)
    )
    token = customer_token()
    # Inside the signature: its last character may carry only padding bits.
    middle = len(token) - 20
    changed = token[:middle] + ("B" if token[middle] == "A" else "A") + token[middle + 1 :]
    post = lambda token: client.post("/api/books/", data={}, content_type="application/json", **bearer(token))  # noqa: E731

    assert [post(token).status_code for _ in range(3)] == [201, 201, 201]
    assert len(verified) == 1
    assert post(changed).status_code == 401
    assert client.get("/api/books/1/", **bearer(changed)).status_code == 201  # public: the service decides
    assert [seen["headers"]["Authorization"] for seen in upstream.seen][-1] == f"Bearer {changed}"


def test_a_token_verified_at_the_edge_is_refused_once_expired(client, upstream, monkeypatch):
    VERIFIED.forget()
    token = customer_token()
    post = lambda: client.post("/api/books/", data={}, content_type="application/json", **bearer(token))  # noqa: E731
    assert post().status_code == 201

    class ADayOn(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime.now(tz) + datetime.timedelta(days=1)

    # Both clocks a token's dates are read by: the cache's and PyJWT's.
    monkeypatch.setattr(verified_tokens, "time", SimpleNamespace(time=lambda: time.time() + 86400))
    monkeypatch.setattr("jwt.api_jwt.datetime", ADayOn)

    response = post()
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"
    assert len(upstream.seen) == 1


@pytest.mark.parametrize(
    ("method", "path", "public"),
    [
        ("GET", "/api/books/", True),
        ("GET", "/api/books/search/", True),
        ("GET", "/api/authors/3/", True),
        ("GET", "/api/categories/", True),
        ("POST", "/api/books/", False),
        ("POST", "/api/accounts/", True),
        ("GET", "/api/accounts/3/", False),
        ("POST", "/api/auth/login/", True),
        ("POST", "/api/auth/refresh/", True),
        ("POST", "/api/auth/logout/", True),
        ("POST", "/api/auth/password/", False),
        ("POST", "/api/auth/password-reset/", True),
        ("POST", "/api/auth/password-reset/confirm/", True),
        ("POST", "/api/auth/verify-email/", True),
        ("POST", "/api/auth/verify-email/resend/", False),
        ("GET", "/api/warehouse/items/12/", True),
        ("GET", "/api/warehouse/items/", True),
        ("GET", "/api/warehouse/", False),
        ("POST", "/api/warehouse/items/", False),
        ("GET", "/api/carts/1/", False),
        ("GET", "/api/orders/", False),
        ("GET", "/api/bookshelf/", False),
    ],
)
def test_the_public_routes(method, path, public):
    assert is_public(method, path) is public


def test_every_public_route_says_why():
    assert all(route.why for route in PUBLIC_ROUTES)


def test_login_is_limited_per_address_with_retry_after(client, upstream, settings):
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "customer": settings.SERVICE_URLS["book"]}
    settings.GATEWAY_RATE_LIMITS = {**settings.GATEWAY_RATE_LIMITS, "login": Rate(3, 60)}
    statuses = [client.post("/api/auth/login/", data={}, content_type="application/json").status_code for _ in range(5)]
    assert statuses == [201, 201, 201, 429, 429]
    refused = client.post("/api/auth/login/", data={}, content_type="application/json")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["error"]["code"] == "throttled"
    assert refused.json()["error"]["details"]["limit"] == "login"
    other_address = client.post("/api/auth/login/", data={}, content_type="application/json", REMOTE_ADDR="10.0.0.9")
    assert other_address.status_code == 201
    assert len(upstream.seen) == 4


def test_a_client_writing_its_own_forwarded_for_is_limited_by_its_real_address(client, upstream, settings):
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "customer": settings.SERVICE_URLS["book"]}
    settings.GATEWAY_RATE_LIMITS = {**settings.GATEWAY_RATE_LIMITS, "login": Rate(2, 3600)}

    def login(spoofed: str) -> int:
        headers = {"HTTP_X_FORWARDED_FOR": spoofed, "HTTP_X_REAL_IP": spoofed}
        return client.post("/api/auth/login/", data={}, content_type="application/json", **headers).status_code

    statuses = [login(f"198.51.100.{n}") for n in range(5)]

    # Five over a limit of two: even split by a window's end, one side has a third.
    assert 429 in statuses


def test_asking_for_password_resets_is_limited_per_address(client, upstream, settings):
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "customer": settings.SERVICE_URLS["book"]}
    settings.GATEWAY_RATE_LIMITS = {**settings.GATEWAY_RATE_LIMITS, "account_emails": Rate(2, 3600)}

    def ask(**extra) -> int:
        return client.post("/api/auth/password-reset/", data={}, content_type="application/json", **extra).status_code

    assert [ask(), ask(), ask()] == [201, 201, 429]
    assert ask(REMOTE_ADDR="10.0.0.9") == 201
    assert client.post("/api/auth/password-reset/confirm/", data={}, content_type="application/json").status_code == 201


def test_signup_is_limited_per_address(client, upstream, settings):
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "customer": settings.SERVICE_URLS["book"]}
    settings.GATEWAY_RATE_LIMITS = {**settings.GATEWAY_RATE_LIMITS, "signup": Rate(1, 3600)}
    assert client.post("/api/accounts/", data={}, content_type="application/json").status_code == 201
    assert client.post("/api/accounts/", data={}, content_type="application/json").status_code == 429


def test_writes_are_limited_per_user_and_reads_are_not(client, upstream, settings):
    settings.GATEWAY_RATE_LIMITS = {**settings.GATEWAY_RATE_LIMITS, "writes": Rate(2, 60)}
    alice, bob = bearer(customer_token(1)), bearer(customer_token(2))
    post = lambda headers: client.post("/api/books/", data={}, content_type="application/json", **headers).status_code  # noqa: E731
    assert [post(alice), post(alice), post(alice)] == [201, 201, 429]
    assert post(bob) == 201  # another user has their own count, from the same address
    assert all(client.get("/api/books/", **alice).status_code == 201 for _ in range(5))


def test_service_tokens_are_not_write_limited(client, upstream, settings):
    settings.GATEWAY_RATE_LIMITS = {**settings.GATEWAY_RATE_LIMITS, "writes": Rate(1, 60)}
    service = bearer(mint_access_token(user_id=None, service="order"))
    responses = [client.post("/api/books/", data={}, content_type="application/json", **service) for _ in range(3)]
    assert {r.status_code for r in responses} == {201}


@pytest.mark.parametrize("text", ["10", "ten/min", "10/fortnight", "/min", ""])
def test_a_bad_rate_setting_is_refused(text):
    with pytest.raises(ValueError, match="not a rate"):
        Rate.parse(text)


def test_rates_parse():
    assert Rate.parse("10/min") == Rate(10, 60)
    assert Rate.parse(" 100 / hour ") == Rate(100, 3600)
    assert Rate.parse("5/s") == Rate(5, 1)


def test_a_body_over_the_limit_is_413_before_any_call(client, upstream, settings):
    settings.GATEWAY_MAX_BODY_BYTES = 100
    token = bearer(customer_token())
    response = client.post("/api/books/", data=b"x" * 101, content_type="application/json", **token)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert response.json()["error"]["details"] == {"max_bytes": 100}
    assert client.post("/api/books/", data=b"x" * 100, content_type="application/json", **token).status_code == 201
    assert len(upstream.seen) == 1


def test_the_breaker_opens_after_repeated_failures_then_lets_a_trial_through(
    client, settings, monkeypatch, closed_port_url, upstream
):
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "order": closed_port_url}
    settings.GATEWAY_BREAKER_FAILURES = 3
    proxy.pools.forget()
    breakers.breakers.forget()
    token = bearer(customer_token())
    first = [client.get("/api/orders/", **token) for _ in range(3)]
    assert [r.status_code for r in first] == [503, 503, 503]
    assert all("Retry-After" not in r for r in first)  # real failures, each after trying
    fast = client.get("/api/orders/", **token)
    assert fast.status_code == 503
    assert fast.json()["error"]["details"] == {"service": "order"}
    assert 1 <= int(fast["Retry-After"]) <= django_settings.GATEWAY_BREAKER_RESET_SECONDS
    # The service comes back; after the cool-down one trial request closes the breaker.
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "order": settings.SERVICE_URLS["book"]}
    proxy.pools.forget()
    breaker = breakers.breaker_for("order")
    monkeypatch.setattr(breaker, "_clock", lambda: time.monotonic() + 3600)  # the cool-down is over
    assert client.get("/api/orders/", **token).status_code == 201
    assert breaker.state == breakers.CLOSED


def test_cors_allows_only_configured_origins(client, settings, upstream):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]
    allowed = client.options(
        "/api/books/", HTTP_ORIGIN="https://shop.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "idempotency-key" in allowed["Access-Control-Allow-Headers"]
    other = client.get("/api/books/", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other


def test_one_access_log_line_per_request(client, upstream, caplog):
    token = customer_token(42)
    with caplog.at_level(logging.INFO, logger="access"):
        client.get("/api/books/?x=1", HTTP_X_REQUEST_ID="trace-9", **bearer(token))
    [record] = [r for r in caplog.records if r.name == "access"]
    line = record.getMessage()
    assert line.startswith("GET /api/books/ status=201 ms=")
    assert line.endswith(" service=book user=42")
    assert record.request_id == "trace-9"
