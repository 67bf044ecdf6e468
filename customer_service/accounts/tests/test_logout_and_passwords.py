"""Logging out (a refresh token revoked) and changing a password (every refresh token revoked)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.services import refresh_tokens_expired_delete
from common.testing.plugin import bearer_client
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-longer-new-passphrase"


@pytest.fixture
def ann(make_account):
    return make_account("ann")


def log_in(client, password=PASSWORD) -> dict:
    response = client.post("/api/auth/login/", {"username": "ann", "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def refresh(client, token: str):
    return client.post("/api/auth/refresh/", {"refresh": token})


def jti_of(tokens: dict) -> str:
    return RefreshToken(tokens["refresh"], verify=False)["jti"]


def change_password(tokens: dict, current=PASSWORD, new=NEW_PASSWORD):
    body = {"current_password": current, "new_password": new}
    return bearer_client(tokens["access"]).post("/api/auth/password/", body)


def test_logging_out_revokes_that_refresh_token_only(api_client, ann):
    phone, laptop = log_in(api_client), log_in(api_client)

    assert api_client.post("/api/auth/logout/", {"refresh": phone["refresh"]}).status_code == 204

    refused = refresh(api_client, phone["refresh"])
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_not_valid"
    assert refresh(api_client, laptop["refresh"]).status_code == 200  # the other session goes on
    again = api_client.post("/api/auth/logout/", {"refresh": phone["refresh"]})
    assert again.status_code == 401  # revoked already


@pytest.mark.parametrize(("body", "status"), [({}, 400), ({"refresh": "not-a-token"}, 401), ({"refresh": ["x"]}, 400)])
def test_logging_out_without_a_good_refresh_token(api_client, body, status):
    assert api_client.post("/api/auth/logout/", body).status_code == status


def test_an_access_token_is_not_a_refresh_token(api_client, ann):
    tokens = log_in(api_client)
    assert api_client.post("/api/auth/logout/", {"refresh": tokens["access"]}).status_code == 401


def test_a_new_password_revokes_every_session_and_gives_this_client_a_new_pair(api_client, ann):
    phone, laptop = log_in(api_client), log_in(api_client)

    response = change_password(laptop)

    assert response.status_code == 200, response.content
    for session in (phone, laptop):
        assert refresh(api_client, session["refresh"]).status_code == 401
    assert refresh(api_client, response.json()["refresh"]).status_code == 200
    assert api_client.post("/api/auth/login/", {"username": "ann", "password": PASSWORD}).status_code == 401
    log_in(api_client, NEW_PASSWORD)


def test_a_wrong_current_password_changes_nothing(api_client, ann):
    tokens = log_in(api_client)

    response = change_password(tokens, current="not-it")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "wrong_password"
    assert "current_password" in response.json()["error"]["details"]
    assert refresh(api_client, tokens["refresh"]).status_code == 200
    log_in(api_client, PASSWORD)


@pytest.mark.parametrize("weak", ["short", "ann", "12345678901", "password123"])
def test_a_weak_new_password_is_refused_by_the_validators(api_client, ann, weak):
    tokens = log_in(api_client)

    response = change_password(tokens, new=weak)

    assert response.status_code == 400
    assert "new_password" in response.json()["error"]["details"]
    log_in(api_client, PASSWORD)  # unchanged


def test_guessing_the_current_password_with_a_stolen_token_is_throttled(api_client, ann, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 2
    tokens = log_in(api_client)
    for guess in ("guess-1", "guess-2"):
        assert change_password(tokens, current=guess).status_code == 400

    throttled = change_password(tokens)  # even the right one

    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "login_throttled"


def test_changing_a_password_needs_a_person_s_token(api_client, service_client, ann):
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert api_client.post("/api/auth/password/", body).status_code == 401
    assert service_client.post("/api/auth/password/", body).status_code == 403


def test_a_deleted_account_s_token_changes_no_password(api_client, ann):
    tokens = log_in(api_client)
    ann.delete()

    response = change_password(tokens)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "account_gone"


def test_the_sweep_forgets_refresh_tokens_past_their_expiry(api_client, ann):
    kept, expired = log_in(api_client), log_in(api_client)
    api_client.post("/api/auth/logout/", {"refresh": expired["refresh"]})
    OutstandingToken.objects.filter(jti=jti_of(expired)).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert refresh_tokens_expired_delete() == 1

    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [jti_of(kept)]
    assert refresh(api_client, kept["refresh"]).status_code == 200
