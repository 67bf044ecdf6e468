"""common.revocation: a deleted or deactivated account's access tokens are refused from
the moment the service hears of it, without a query per request."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt.tokens import AccessToken

from common.auth import mint_access_token, service_token
from common.outbox.models import ProcessedEvent
from common.revocation.models import RevokedAccount
from common.revocation.services import RECENT, account_erased, account_revoke, event_handlers, token_revoked
from common.revocation.views import AccountEventsView

pytestmark = pytest.mark.django_db


def token_issued(user_id: int, *, at: datetime) -> str:
    token = AccessToken()
    token.set_iat(at_time=at)
    token["user_id"], token["username"], token["is_staff"], token["email_verified"] = user_id, "ada", False, True
    return str(token)


def whoami(api_client, token: str):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client.get("/whoami/")


def test_a_token_issued_before_the_revocation_is_refused_and_one_after_is_taken(
    api_client, django_capture_on_commit_callbacks
):
    revoked_at = timezone.now() - timedelta(seconds=20)
    with django_capture_on_commit_callbacks(execute=True):  # known in this process once committed
        account_revoke(user_id=5, at=revoked_at, erased=False)

    before = whoami(api_client, token_issued(5, at=revoked_at - timedelta(seconds=30)))
    after = whoami(api_client, token_issued(5, at=revoked_at + timedelta(seconds=5)))  # a login once reactivated

    assert before.status_code == 401
    assert before.json()["error"]["code"] == "token_not_valid"
    assert after.status_code == 200


def test_other_accounts_and_services_are_not_touched(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        account_revoke(user_id=5, at=timezone.now(), erased=True)

    assert whoami(api_client, mint_access_token(user_id=6, username="bob")).status_code == 200
    assert whoami(api_client, service_token()).status_code == 200


def test_a_request_asks_no_database_while_the_copy_is_fresh(api_client, django_assert_num_queries, settings):
    settings.REVOCATIONS_REFRESH_SECONDS = 60
    token = mint_access_token(user_id=5, username="ada")
    whoami(api_client, token)

    with django_assert_num_queries(0):
        assert whoami(api_client, token).status_code == 200


def test_a_revocation_another_process_recorded_is_seen_once_the_copy_is_read_again(api_client, settings):
    settings.REVOCATIONS_REFRESH_SECONDS = 60
    token = token_issued(5, at=timezone.now() - timedelta(seconds=10))
    assert whoami(api_client, token).status_code == 200  # the copy, read now: nothing revoked
    RevokedAccount.objects.create(user_id=5, revoked_at=timezone.now())  # as another replica's event handler

    assert whoami(api_client, token).status_code == 200  # not yet: within REVOCATIONS_REFRESH_SECONDS
    settings.REVOCATIONS_REFRESH_SECONDS = 0
    assert whoami(api_client, token).status_code == 401


def test_a_deletion_stays_and_is_not_undone_by_a_deactivation_heard_later():
    deleted_at = timezone.now()
    account_revoke(user_id=5, at=deleted_at, erased=True)
    account_revoke(user_id=5, at=deleted_at - timedelta(minutes=1), erased=False)

    revocation = RevokedAccount.objects.get(user_id=5)
    assert (revocation.revoked_at, revocation.erased) == (deleted_at, True)
    assert account_erased(5)
    assert not account_erased(6)


def test_whether_an_account_was_deleted_is_one_statement_each_time(django_assert_num_queries):
    RevokedAccount.objects.create(user_id=5, revoked_at=timezone.now(), erased=True)
    RevokedAccount.objects.create(user_id=6, revoked_at=timezone.now(), erased=False)  # deactivated only

    with django_assert_num_queries(4):
        answers = [account_erased(user_id) for user_id in (5, 6, 7, 5)]

    assert answers == [True, False, False, True]


def test_revocations_older_than_any_live_token_are_dropped_but_deletions_kept(settings):
    long_ago = timezone.now() - settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] - timedelta(minutes=1)
    RevokedAccount.objects.create(user_id=1, revoked_at=long_ago, erased=False)
    RevokedAccount.objects.create(user_id=2, revoked_at=long_ago, erased=True)

    account_revoke(user_id=3, at=timezone.now(), erased=False)

    assert set(RevokedAccount.objects.values_list("user_id", flat=True)) == {2, 3}
    assert not token_revoked(user_id=2, issued_at=long_ago.timestamp() - 1)  # its tokens have all expired anyway


def test_a_rolled_back_revocation_is_not_taken_by_this_process(api_client):
    from django.db import transaction

    token = token_issued(5, at=timezone.now() - timedelta(seconds=10))

    def revoke_then_fail():
        with transaction.atomic():
            account_revoke(user_id=5, at=timezone.now(), erased=True)
            raise RuntimeError("the event's handling failed")

    with pytest.raises(RuntimeError):
        revoke_then_fail()

    assert whoami(api_client, token).status_code == 200
    assert not RevokedAccount.objects.exists()


def envelope(event_type: str, payload: dict) -> dict:
    return {"id": str(uuid.uuid4()), "type": event_type, "source": "customer", "payload": payload}


def test_the_events_revoke_and_erase_once_per_event_id():
    erased = []
    view = AccountEventsView.as_view(handlers=event_handlers(erase=erased.append))
    deleted = envelope("account.deleted", {"user_id": 5, "deleted_at": "2026-01-03T00:00:00Z"})

    def post(body):
        request = APIRequestFactory().post("/api/events/", body, format="json")
        request.META["HTTP_AUTHORIZATION"] = f"Bearer {service_token()}"
        return view(request)

    first, again = post(deleted), post(deleted)

    assert (first.data["status"], again.data["status"]) == ("processed", "duplicate")
    assert erased == [5]
    assert RevokedAccount.objects.get(user_id=5).revoked_at == datetime(2026, 1, 3, tzinfo=UTC)
    assert ProcessedEvent.objects.count() == 1
    just_now = timezone.now().isoformat()
    deactivated = post(envelope("account.deactivated", {"user_id": 6, "deactivated_at": just_now}))
    assert deactivated.data["status"] == "processed"
    assert RevokedAccount.objects.get(user_id=6).erased is False


def test_what_a_process_knows_is_forgotten_between_tests():
    RECENT.add(5, timezone.now())
    RECENT.forget(read_again=False)

    assert not token_revoked(user_id=5, issued_at=time.time() - 60)


@pytest.mark.filterwarnings("ignore:Converter 'id' is already registered")  # common's ready() runs again
def test_the_check_follows_the_installed_apps(api_client, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        account_revoke(user_id=5, at=timezone.now(), erased=False)
    token = token_issued(5, at=timezone.now() - timedelta(seconds=30))
    assert whoami(api_client, token).status_code == 401

    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "common.revocation"]

    assert whoami(api_client, token).status_code == 200  # a service that records no revocations
