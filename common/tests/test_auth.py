"""common.auth: stateless JWT identity, checked without the database, and cached service tokens."""

from datetime import timedelta
from types import SimpleNamespace

import jwt
import pytest
from rest_framework_simplejwt.tokens import AccessToken

from common import auth
from common.auth import Caller, ClaimsUser, mint_access_token, service_token
from common.testing.platform_tests import assert_error_shape


def bearer(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"user_id": 5, "username": "ada"}, {"id": 5, "username": "ada", "is_staff": False, "is_service": False}),
        ({"user_id": 9, "username": "boss", "is_staff": True}, {"id": 9, "username": "boss", "is_staff": True}),
        (
            {"user_id": None, "username": "service:order", "service": "order"},
            {"id": None, "is_staff": False, "is_service": True, "service": "order"},
        ),
    ],
)
def test_minted_token_is_a_claims_user_without_queries(api_client, django_assert_num_queries, claims, expected):
    bearer(api_client, mint_access_token(**claims))

    with django_assert_num_queries(0):
        response = api_client.get("/whoami/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["class"] == "ClaimsUser"
    assert {key: body[key] for key in expected} == expected


@pytest.mark.django_db
def test_default_authentication_applies_to_every_view(api_client, django_assert_num_queries):
    bearer(api_client, mint_access_token(user_id=5, username="ada"))

    with django_assert_num_queries(0):
        assert api_client.get("/carts/5/").status_code == 200
        assert api_client.post("/items/", {"title": "Dune", "quantity": 1}, format="json").status_code == 201


def test_expired_token_is_401(api_client):
    bearer(api_client, mint_access_token(user_id=5, username="ada", lifetime=timedelta(seconds=-1)))

    response = api_client.get("/whoami/")

    # simplejwt's own code for a token it rejects; it is not one of common.errors.ErrorCode.
    assert_error_shape(response, 401, "token_not_valid")


def test_token_signed_with_another_key_is_401(api_client):
    claims = jwt.decode(mint_access_token(user_id=5, username="ada"), options={"verify_signature": False})
    forged = jwt.encode(claims | {"is_staff": True}, "another-key-of-at-least-32-bytes-0123456789", algorithm="HS256")
    bearer(api_client, forged)

    assert_error_shape(api_client.get("/whoami/"), 401, "token_not_valid")


def test_malformed_authorization_header_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer two parts")

    assert_error_shape(api_client.get("/whoami/"), 401, "authentication_failed")


def test_service_token_names_this_service(api_client):
    token = AccessToken(service_token())

    assert token["service"] == "book"
    user = ClaimsUser(token)
    assert user.is_service
    assert user.service == "book"
    assert user.id is None
    body = bearer(api_client, service_token()).get("/whoami/").json()
    assert body["is_service"] is True
    assert body["service"] == "book"


def test_user_token_is_not_a_service():
    user = ClaimsUser(AccessToken(mint_access_token(user_id=5, username="ada")))

    assert not user.is_service
    assert user.service is None


def test_service_token_is_reused():
    assert service_token() == service_token()


def test_service_token_is_renewed_when_a_third_of_its_life_is_left(monkeypatch, settings):
    settings.SERVICE_TOKEN_LIFETIME_SECONDS = 300
    clock = [1000.0]
    monkeypatch.setattr(auth, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    cache = auth._ServiceTokenCache()

    first = cache.get()
    clock[0] += 199
    assert cache.get() == first
    clock[0] += 2
    renewed = cache.get()

    assert renewed != first
    assert AccessToken(renewed)["service"] == "book"


@pytest.mark.parametrize(
    ("claims", "label", "key", "privileged"),
    [
        ({"user_id": 5, "is_staff": False}, "user 5", "user:5", False),
        ({"user_id": 9000, "is_staff": True}, "staff 9000", "user:9000", True),
        ({"user_id": None, "service": "order"}, "service order", "service:order", True),
    ],
)
def test_the_caller_of_a_token_says_who_acts_one_way_everywhere(claims, label, key, privileged):
    caller = Caller.of(ClaimsUser(claims))
    assert (caller.label, caller.key, caller.is_privileged) == (label, key, privileged)


def test_a_service_acting_by_itself_is_named_by_its_settings(settings):
    settings.SERVICE_NAME = "payment"
    assert Caller.this_service() == Caller(user_id=None, service="payment")
    assert Caller.this_service().label == "service payment"
