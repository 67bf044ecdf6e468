"""The account emails with a link: verifying the email at sign-up, and resetting a
forgotten password. The links go out as events for notification_service to email."""

import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Account, LoginFailure
from common.outbox.models import OutboxEvent
from common.testing.plugin import bearer_client
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-longer-new-passphrase"
RESET, VERIFY = "account.password_reset_requested", "account.verification_requested"


@pytest.fixture
def ann(make_account):
    return make_account("ann")


def sent(event_type: str, account: Account) -> list[dict]:
    events = OutboxEvent.objects.filter(event_type=event_type, key=f"account:{account.pk}").order_by("created_at")
    return [event.payload for event in events]


def link_query(payload: dict) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(payload["link"]).query).items()}


def log_in(client, password=PASSWORD):
    return client.post("/api/auth/login/", {"username": "ann", "password": password})


def verify(client, token: str):
    return client.post("/api/auth/verify-email/", {"token": token})


def ask_reset(client, email="ann@example.com"):
    return client.post("/api/auth/password-reset/", {"email": email})


def altered(token: str) -> str:
    """The token with its last character changed, never to the one it was."""
    return token[:-1] + ("1" if token.endswith("0") else "0")


def confirm(client, query: dict, new_password=NEW_PASSWORD):
    return client.post("/api/auth/password-reset/confirm/", {**query, "new_password": new_password})


# --- verification -----------------------------------------------------------------------


def test_a_sign_up_is_sent_a_verification_link_and_starts_unverified(api_client, ann, settings):
    (payload,) = sent(VERIFY, ann)

    assert payload["email"] == "ann@example.com"
    assert payload["link"].startswith(f"{settings.ACCOUNT_LINKS_BASE_URL}/verify-email/?token=")
    assert payload["valid_minutes"] == settings.EMAIL_VERIFICATION_SECONDS // 60
    assert ann.email_verified is False
    assert AccessToken(log_in(api_client).json()["access"])["email_verified"] is False


def test_following_the_link_verifies_the_email_and_the_next_token_says_so(api_client, ann):
    tokens = log_in(api_client).json()

    response = verify(api_client, link_query(sent(VERIFY, ann)[0])["token"])

    assert response.status_code == 200, response.content
    assert response.json() == {"email_verified": True}
    ann.refresh_from_db()
    assert ann.email_verified is True
    refreshed = api_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}).json()["access"]
    assert AccessToken(refreshed)["email_verified"] is True
    assert verify(api_client, link_query(sent(VERIFY, ann)[0])["token"]).status_code == 200  # again: no harm


def test_a_demo_login_made_verified_is_sent_no_link(make_account):
    from accounts import services

    account = services.account_create(username="demo", email="demo@example.com", password=PASSWORD, email_verified=True)

    assert sent(VERIFY, account) == []
    assert AccessToken(log_in_as(account))["email_verified"] is True


def log_in_as(account: Account) -> str:
    from accounts.tokens import token_pair_for

    return token_pair_for(account)["access"]


@pytest.mark.parametrize("token", ["", "x" * 1001, "not-a-token", "eyJ1c2VyX2lkIjoxfQ:1vR:forged"])
def test_a_wrong_verification_token_is_refused(api_client, ann, token):
    response = verify(api_client, token)

    assert response.status_code == 400
    assert Account.objects.get(pk=ann.pk).email_verified is False


def test_a_verification_link_works_for_its_days_only(api_client, ann, settings, monkeypatch):
    token = link_query(sent(VERIFY, ann)[0])["token"]
    later = time.time() + settings.EMAIL_VERIFICATION_SECONDS + 1
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)

    response = verify(api_client, token)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "link_not_valid"


def test_a_link_for_an_address_the_account_no_longer_has_is_refused(api_client, ann):
    token = link_query(sent(VERIFY, ann)[0])["token"]
    Account.objects.filter(pk=ann.pk).update(email="new@example.com")

    assert verify(api_client, token).status_code == 400


def test_asking_again_sends_a_new_link_but_not_twice_within_the_interval(ann, settings):
    client = bearer_client(log_in_as(ann))
    settings.ACCOUNT_EMAIL_INTERVAL_SECONDS = 0

    first = client.post("/api/auth/verify-email/resend/")
    settings.ACCOUNT_EMAIL_INTERVAL_SECONDS = 60
    second = client.post("/api/auth/verify-email/resend/")

    assert (first.status_code, first.json()) == (202, {"sent": True})
    assert (second.status_code, second.json()) == (202, {"sent": False})
    assert len(sent(VERIFY, ann)) == 2  # the sign-up's and the first resend's


def test_a_verified_account_asks_for_no_link(api_client, ann):
    verify(api_client, link_query(sent(VERIFY, ann)[0])["token"])

    response = bearer_client(log_in_as(Account.objects.get(pk=ann.pk))).post("/api/auth/verify-email/resend/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_verified"


def test_resending_needs_a_person_s_token(api_client, service_client):
    assert api_client.post("/api/auth/verify-email/resend/").status_code == 401
    assert service_client.post("/api/auth/verify-email/resend/").status_code == 403


# --- password reset ---------------------------------------------------------------------


def test_asking_for_a_reset_sends_a_link_to_the_account_s_address(api_client, ann, settings):
    response = ask_reset(api_client, "  ANN@example.com ")

    assert response.status_code == 202
    (payload,) = sent(RESET, ann)
    assert (payload["user_id"], payload["email"], payload["valid_minutes"]) == (ann.pk, "ann@example.com", 60)
    assert payload["link"].startswith(f"{settings.ACCOUNT_LINKS_BASE_URL}/reset-password/?uid=")


def test_the_answer_is_the_same_whether_or_not_the_email_has_an_account(api_client, ann, make_account):
    disabled = make_account("gone")
    Account.objects.filter(pk=disabled.pk).update(is_active=False)

    answers = [ask_reset(api_client, email) for email in ("ann@example.com", "nobody@example.com", "gone@example.com")]

    assert {(answer.status_code, answer.content) for answer in answers} == {
        (answers[0].status_code, answers[0].content)
    }
    assert len(sent(RESET, ann)) == 1
    assert sent(RESET, disabled) == []
    assert OutboxEvent.objects.filter(event_type=RESET).count() == 1


def test_asking_again_and_again_sends_one_email_per_interval(api_client, ann):
    for _ in range(5):
        assert ask_reset(api_client).status_code == 202

    assert len(sent(RESET, ann)) == 1


@pytest.mark.parametrize("body", [{}, {"email": "not-an-email"}, {"email": ["ann@example.com"]}])
def test_asking_without_an_email_is_400(api_client, body):
    assert api_client.post("/api/auth/password-reset/", body).status_code == 400


def test_the_link_sets_a_new_password_once_and_ends_every_session(api_client, ann):
    session = log_in(api_client).json()
    ask_reset(api_client)
    query = link_query(sent(RESET, ann)[0])

    response = confirm(api_client, query)

    assert response.status_code == 200, response.content
    assert set(response.json()) == {"access", "refresh"}
    assert api_client.post("/api/auth/refresh/", {"refresh": session["refresh"]}).status_code == 401
    assert log_in(api_client).status_code == 401
    assert log_in(api_client, NEW_PASSWORD).status_code == 200
    reused = confirm(api_client, query, new_password="yet-another-long-passphrase")
    assert reused.status_code == 400
    assert reused.json()["error"]["code"] == "link_not_valid"
    assert log_in(api_client, NEW_PASSWORD).status_code == 200


def test_following_a_reset_link_verifies_the_email_and_ends_a_lockout(api_client, ann, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 2
    for _ in range(2):
        log_in(api_client, "guess")
    ask_reset(api_client)

    confirm(api_client, link_query(sent(RESET, ann)[0]))

    assert Account.objects.get(pk=ann.pk).email_verified is True
    assert not LoginFailure.objects.filter(username_key="ann").exists()
    assert log_in(api_client, NEW_PASSWORD).status_code == 200


def test_a_weak_password_is_refused_and_the_link_still_works(api_client, ann):
    ask_reset(api_client)
    query = link_query(sent(RESET, ann)[0])

    weak = confirm(api_client, query, new_password="123")

    assert weak.status_code == 400
    assert "new_password" in weak.json()["error"]["details"]
    assert confirm(api_client, query).status_code == 200


def test_someone_else_s_token_and_made_up_links_are_refused_alike(api_client, ann, make_account):
    bob = make_account("bob")
    for email in ("ann@example.com", "bob@example.com"):
        ask_reset(api_client, email)
    ann_link, bob_link = link_query(sent(RESET, ann)[0]), link_query(sent(RESET, bob)[0])

    refused = [
        confirm(api_client, {"uid": ann_link["uid"], "token": bob_link["token"]}),
        confirm(api_client, {"uid": "bm90LWFuLWlk", "token": ann_link["token"]}),  # "not-an-id"
        confirm(api_client, {"uid": "OTk5OTk5", "token": ann_link["token"]}),  # an account that does not exist
        confirm(api_client, {"uid": "!!", "token": ann_link["token"]}),
        confirm(api_client, {"uid": ann_link["uid"], "token": altered(ann_link["token"])}),
    ]

    assert {(answer.status_code, answer.json()["error"]["code"]) for answer in refused} == {(400, "link_not_valid")}
    assert log_in(api_client).status_code == 200  # unchanged


def test_a_reset_link_works_for_its_hour_only(api_client, ann, settings, monkeypatch):
    ask_reset(api_client)
    query = link_query(sent(RESET, ann)[0])
    now = default_token_generator._now()
    later = now + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)

    assert confirm(api_client, query).status_code == 400


def test_a_deactivated_account_s_link_stops_working(api_client, ann):
    ask_reset(api_client)
    query = link_query(sent(RESET, ann)[0])
    Account.objects.filter(pk=ann.pk).update(is_active=False)

    assert confirm(api_client, query).status_code == 400


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="the SQLite test database is in shared-cache memory, which locks by table"
)
def test_one_link_used_twice_at_once_sets_one_password(api_client, ann):
    ask_reset(api_client)
    query = link_query(sent(RESET, ann)[0])
    start = threading.Barrier(2, timeout=10)
    answers = []

    def use(password):
        try:
            start.wait()
            answers.append(confirm(api_client.__class__(), query, new_password=password).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=use, args=(password,)) for password in (NEW_PASSWORD, "another-long-passphrase")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert sorted(answers) == [200, 400]
