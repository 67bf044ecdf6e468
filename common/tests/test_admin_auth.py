"""common.admin_auth: staff log in to a service's admin with their customer_service login."""

import pytest
import requests
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model

from common.auth import mint_access_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def login_url():
    return f"{settings.SERVICE_URLS['customer']}/api/auth/login/"


def token_pair(*, username: str, is_staff: bool) -> dict:
    return {"access": mint_access_token(user_id=7, username=username, is_staff=is_staff), "refresh": "r"}


def test_a_staff_login_makes_a_local_staff_user_without_a_usable_password(mocked_responses, login_url, rf):
    mocked_responses.post(login_url, json=token_pair(username="Boss", is_staff=True))
    request = rf.post("/admin/login/", REMOTE_ADDR="192.0.2.5")

    user = authenticate(request, username="boss", password="s3cret-pass")

    assert user is not None
    assert (user.username, user.is_staff, user.is_superuser) == ("Boss", True, True)
    assert not user.has_usable_password()
    sent = mocked_responses.calls[0].request
    assert sent.headers["X-Forwarded-For"] == "192.0.2.5"  # throttled per admin user's address
    assert b"s3cret-pass" in sent.body


def test_the_next_login_reuses_the_local_user(mocked_responses, login_url):
    mocked_responses.post(login_url, json=token_pair(username="boss", is_staff=True))
    first = authenticate(None, username="boss", password="pw")
    second = authenticate(None, username="boss", password="pw")
    assert first.pk == second.pk
    assert get_user_model().objects.count() == 1


def test_a_customer_login_is_not_an_admin_login(mocked_responses, login_url):
    mocked_responses.post(login_url, json=token_pair(username="ann", is_staff=False))
    assert authenticate(None, username="ann", password="pw") is None
    assert not get_user_model().objects.exists()


def test_wrong_credentials_are_refused(mocked_responses, login_url):
    mocked_responses.post(login_url, status=401, json={"error": {"code": "invalid_credentials"}})
    assert authenticate(None, username="boss", password="wrong") is None


@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.ConnectionError("refused")},
        {"body": requests.ReadTimeout("slow")},
        {"status": 503, "json": {}},
        {"status": 429, "json": {}},
        {"status": 200, "body": "not json"},
        {"status": 200, "json": {"access": "forged.token.value"}},
        {"status": 200, "json": ["access"]},
    ],
    ids=["down", "slow", "failing", "throttled", "not-json", "bad-token", "not-an-object"],
)
def test_no_login_when_customer_service_cannot_vouch(mocked_responses, login_url, answer):
    mocked_responses.post(login_url, **answer)
    assert authenticate(None, username="boss", password="pw") is None
    assert not get_user_model().objects.exists()


def test_a_token_signed_with_another_key_is_refused(mocked_responses, login_url):
    import jwt

    forged = jwt.encode(
        {"token_type": "access", "user_id": 1, "username": "boss", "is_staff": True},
        "another-signing-key-0123456789abcdef",
    )
    mocked_responses.post(login_url, json={"access": forged})
    assert authenticate(None, username="boss", password="pw") is None


def test_a_user_switched_off_locally_stays_out(mocked_responses, login_url):
    get_user_model().objects.create(username="boss", is_active=False)
    mocked_responses.post(login_url, json=token_pair(username="boss", is_staff=True))
    assert authenticate(None, username="boss", password="pw") is None


def test_a_local_password_is_checked_first_without_asking(mocked_responses):
    get_user_model().objects.create_superuser("local", "local@example.com", "local-pass-123")
    assert authenticate(None, username="local", password="local-pass-123").username == "local"
    assert len(mocked_responses.calls) == 0


def test_the_admin_login_page_logs_staff_in(client, mocked_responses, login_url):
    mocked_responses.post(login_url, json=token_pair(username="boss", is_staff=True))

    response = client.post("/admin/login/?next=/admin/", {"username": "boss", "password": "pw"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_customer_service_itself_does_not_ask_itself(settings, mocked_responses):
    settings.SERVICE_NAME = "customer"
    assert authenticate(None, username="boss", password="pw") is None
