"""API2, broken authentication: no token or a bad one (expired, tampered, alg none, another
key or algorithm, a refresh token, garbage) is 401 at the gateway and at each service;
and a service called directly, bypassing the gateway, refuses a caller without a valid
token whatever forwarding or user headers it sends."""

import base64
import json
import time
import uuid

import jwt
import pytest

from tests.e2e.harness import JWT_SIGNING_KEY
from tests.e2e.security import PEERS, ROUTE_ACCESS, STAFF_ID, fill, path_ids
from tests.e2e.shop import bearer


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def bad_token(stack, kind: str) -> str | None:
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 600, "iat": now, "jti": uuid.uuid4().hex}
    claims |= {"user_id": STAFF_ID, "username": "mallory", "is_staff": True}
    if kind == "none":
        return None
    if kind == "expired":
        return stack.token(user_id=STAFF_ID, is_staff=True, lifetime_seconds=-30)
    if kind == "tampered":  # a real customer token whose claims were edited to say staff
        header, _, signature = stack.token(user_id=4242).split(".")
        return ".".join([header, _b64(claims), signature])
    if kind == "alg_none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    if kind == "other_key":
        return jwt.encode(claims, "not-the-signing-key-0123456789abcdef", algorithm="HS256")
    if kind == "other_algorithm":  # the right key, but an algorithm the services do not accept
        return jwt.encode(claims, JWT_SIGNING_KEY, algorithm="HS512")
    if kind == "refresh_as_access":
        return jwt.encode(claims | {"token_type": "refresh"}, JWT_SIGNING_KEY, algorithm="HS256")
    if kind == "garbage":
        return "not-a-jwt"
    raise AssertionError(kind)


# One route per service that needs a token, called at the gateway and at the service itself.
PROTECTED = {
    "book": ("POST", "/api/authors/"),
    "order": ("GET", "/api/orders/"),
    "customer": ("GET", "/api/fullnames/"),
    "cart": ("GET", "/api/carts/4242/"),
    "payment": ("GET", "/api/payments/"),
    "notification": ("GET", "/api/notifications/"),
    "inventory": ("GET", "/api/warehouse/"),
}
TOKEN_KINDS = [
    "none",
    "expired",
    "tampered",
    "alg_none",
    "other_key",
    "other_algorithm",
    "refresh_as_access",
    "garbage",
]


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS512 with our key, on purpose
@pytest.mark.parametrize("via", ["gateway", "direct"])
@pytest.mark.parametrize("service", PEERS)
@pytest.mark.parametrize("kind", TOKEN_KINDS)
def test_no_or_bad_token_is_401(stack, http, kind, service, via):
    method, path = PROTECTED[service]
    token = bad_token(stack, kind)
    base = stack.gateway if via == "gateway" else stack.url(service)

    response = http.request(method, f"{base}{path}", json={}, headers=bearer(token) if token else {})

    assert response.status_code == 401, response.text
    expected = "not_authenticated" if kind == "none" else "token_not_valid"
    assert response.json()["error"]["code"] == expected


# --- Calls that bypass the gateway ------------------------------------------------------------

NON_PUBLIC = sorted(key for key, access in ROUTE_ACCESS.items() if access != "public")


@pytest.mark.parametrize("forged", [False, True], ids=["no token", "forged service token"])
@pytest.mark.parametrize(("service", "method", "template"), NON_PUBLIC, ids=[f"{s} {m} {p}" for s, m, p in NON_PUBLIC])
def test_a_service_called_directly_refuses_a_caller_without_a_valid_token(
    stack, http, shop, ann, service, method, template, forged
):
    path = fill(template, path_ids(shop, ann))
    # Headers a gateway would add, and a made-up user header: none of them is identity.
    headers = {"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "https", "X-User-Id": str(ann["id"])}
    if forged:  # a service token, as order_service would carry it, signed with another key
        now = int(time.time())
        claims = {"token_type": "access", "exp": now + 300, "iat": now, "jti": uuid.uuid4().hex}
        claims |= {"user_id": None, "username": "service:order", "is_staff": False, "service": "order"}
        headers |= bearer(jwt.encode(claims, "guessed-signing-key-0123456789abcdef", algorithm="HS256"))

    response = http.request(method, f"{stack.url(service)}{path}", json={}, headers=headers)

    assert response.status_code == 401, response.text
