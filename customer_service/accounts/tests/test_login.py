"""Login, refresh and the throttling of failed logins."""

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts import throttling
from accounts.models import LoginFailure
from accounts.services import login_attempt_record
from common.auth import ClaimsUser
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(make_account):
    return make_account("Ann")


def login(client, username, password, address="203.0.113.7"):
    return client.post("/api/auth/login/", {"username": username, "password": password}, HTTP_X_FORWARDED_FOR=address)


def test_login_gives_tokens_with_the_common_claims(api_client, ann):
    response = login(api_client, "Ann", PASSWORD)

    assert response.status_code == 200
    access = AccessToken(response.json()["access"])  # verified with the shared signing key
    assert access["user_id"] == ann.id
    assert access["username"] == "Ann"
    assert access["is_staff"] is False
    user = ClaimsUser(access)
    assert (user.id, user.is_staff, user.is_service) == (ann.id, False, False)
    assert response.json()["refresh"]


def test_login_ignores_the_case_of_the_username(api_client, ann):
    assert login(api_client, "ANN", PASSWORD).status_code == 200


def test_the_token_works_on_this_service(api_client, client_of, ann):
    access = login(api_client, "Ann", PASSWORD).json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api_client.get(f"/api/accounts/{ann.id}/").status_code == 200


def test_staff_get_the_staff_claim(api_client, make_account):
    make_account("boss", is_staff=True)
    access = AccessToken(login(api_client, "boss", PASSWORD).json()["access"])
    assert access["is_staff"] is True


def test_wrong_password_and_unknown_username_are_the_same_401(api_client, ann):
    wrong_password = login(api_client, "Ann", "not-the-password")
    unknown_user = login(api_client, "nobody", PASSWORD)

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json()["error"]["code"] == unknown_user.json()["error"]["code"] == "invalid_credentials"
    assert wrong_password.json()["error"]["message"] == unknown_user.json()["error"]["message"]


def test_a_disabled_account_cannot_log_in(api_client, ann):
    ann.is_active = False
    ann.save()
    assert login(api_client, "Ann", PASSWORD).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "username"),
        ({"username": "Ann"}, "password"),
        ({"username": "Ann", "password": ["x"]}, "password"),
        ({"username": "a" * 151, "password": PASSWORD}, "username"),
    ],
)
def test_bad_login_input_is_400(api_client, ann, body, field):
    response = api_client.post("/api/auth/login/", body)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_failed_logins_of_one_username_are_throttled_from_any_address(api_client, ann, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    for attempt in range(3):
        assert login(api_client, "ann", "wrong", address=f"198.51.100.{attempt}").status_code == 401

    response = login(api_client, "Ann", PASSWORD, address="198.51.100.99")  # even the right password

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "login_throttled"
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= settings.LOGIN_FAILURE_WINDOW_SECONDS
    assert login(api_client, "other", "wrong", address="198.51.100.99").status_code == 401  # others go on


def test_failed_logins_from_one_address_are_throttled_for_any_username(api_client, ann, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    for attempt in range(4):
        assert login(api_client, f"guess{attempt}", "wrong").status_code == 401

    assert login(api_client, "Ann", PASSWORD).status_code == 429
    assert login(api_client, "Ann", PASSWORD, address="192.0.2.1").status_code == 200


def test_the_address_is_the_one_the_gateway_names(api_client, ann, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 2
    # The client's own entries, left of the gateway's, do not make a fresh address each time.
    for forged in ("10.0.0.1", "10.0.0.2"):
        login(api_client, "x", "wrong", address=f"{forged}, 203.0.113.7")
    assert login(api_client, "Ann", PASSWORD, address="10.0.0.3, 203.0.113.7").status_code == 429


def test_a_client_calling_directly_is_counted_by_its_own_address(api_client, ann, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 2
    direct = {"REMOTE_ADDR": "198.51.100.4"}  # not a trusted proxy: its X-Forwarded-For is dropped
    for forged in ("10.0.0.1", "10.0.0.2"):
        api_client.post(
            "/api/auth/login/", {"username": "x", "password": "wrong"}, HTTP_X_FORWARDED_FOR=forged, **direct
        )

    refused = api_client.post(
        "/api/auth/login/", {"username": "Ann", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="10.0.0.3", **direct
    )

    assert refused.status_code == 429
    assert login(api_client, "Ann", PASSWORD, address="10.0.0.3").status_code == 200


def test_throttling_ends_when_the_failures_leave_the_window(api_client, ann, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 2
    login(api_client, "Ann", "wrong")
    login(api_client, "Ann", "wrong")
    assert login(api_client, "Ann", PASSWORD).status_code == 429

    LoginFailure.objects.update(failed_at=timezone.now() - timezone.timedelta(seconds=15 * 60 + 1))

    assert login(api_client, "Ann", PASSWORD).status_code == 200


def test_a_limit_is_counted_and_dated_from_one_read_of_the_failures(ann, settings, django_assert_num_queries):
    """Concurrent refused attempts delete their rows: a count and a second read of the
    dates could disagree (an IndexError, a 500, in a burst of guesses on PostgreSQL)."""
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    settings.LOGIN_FAILURES_PER_ADDRESS = 100
    attempts = [login_attempt_record(username="Ann", address="203.0.113.7") for _ in range(4)]

    with django_assert_num_queries(1):  # the username's limit is reached: one read says so
        blocked = throttling.login_blocked(username="Ann", address="203.0.113.7", attempt=attempts[-1])
    assert blocked is not None
    assert blocked.reason == "username"

    LoginFailure.objects.filter(pk__in=[attempts[0].pk, attempts[1].pk]).delete()  # refused ones taken back
    assert throttling.login_blocked(username="Ann", address="203.0.113.7", attempt=attempts[-1]) is None


def test_a_successful_login_clears_the_failures_of_its_username(api_client, ann, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    login(api_client, "Ann", "wrong")
    login(api_client, "Ann", "wrong")
    assert login(api_client, "Ann", PASSWORD).status_code == 200
    login(api_client, "Ann", "wrong")
    login(api_client, "Ann", "wrong")
    assert login(api_client, "Ann", PASSWORD).status_code == 200


def test_refresh_gives_a_new_access_token(api_client, ann):
    refresh = login(api_client, "Ann", PASSWORD).json()["refresh"]

    response = api_client.post("/api/auth/refresh/", {"refresh": refresh})

    assert response.status_code == 200
    access = AccessToken(response.json()["access"])
    assert (access["user_id"], access["username"], access["is_staff"]) == (ann.id, "Ann", False)


def test_refresh_reads_the_staff_flag_again(api_client, ann):
    refresh = login(api_client, "Ann", PASSWORD).json()["refresh"]
    ann.is_staff = True
    ann.save()
    access = AccessToken(api_client.post("/api/auth/refresh/", {"refresh": refresh}).json()["access"])
    assert access["is_staff"] is True


def test_refresh_of_a_deleted_account_is_401(api_client, ann):
    refresh = login(api_client, "Ann", PASSWORD).json()["refresh"]
    ann.delete()

    response = api_client.post("/api/auth/refresh/", {"refresh": refresh})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "account_gone"


@pytest.mark.parametrize("refresh", ["garbage", "a.b.c", ""])
def test_a_bad_refresh_token_is_rejected(api_client, refresh):
    response = api_client.post("/api/auth/refresh/", {"refresh": refresh})
    assert response.status_code == (400 if refresh == "" else 401)


def test_an_access_token_is_not_a_refresh_token(api_client, ann):
    access = login(api_client, "Ann", PASSWORD).json()["access"]
    response = api_client.post("/api/auth/refresh/", {"refresh": access})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"
