"""Deleting (4.2) and deactivating an account tell every other service (account.deleted,
account.deactivated), in the transaction of the change, and its tokens are refused here
too from then on."""

import pytest

from accounts import services
from accounts.models import LoginFailure
from common.auth import Caller
from common.outbox.models import OutboxEvent
from common.revocation.models import RevokedAccount
from common.testing.account_events import token_from_before
from common.testing.plugin import bearer_client

pytestmark = pytest.mark.django_db

LISTENERS = {"book", "order", "cart", "payment", "notification", "inventory"}


def test_deleting_tells_every_service_and_forgets_the_failed_logins(make_account, api_client):
    ann = make_account("ann")
    api_client.post("/api/auth/login/", {"username": "ann", "password": "wrong"})
    assert LoginFailure.objects.filter(username_key="ann").exists()

    services.account_delete(account_id=ann.pk, caller=Caller(user_id=ann.pk))

    event = OutboxEvent.objects.get(event_type="account.deleted")
    assert event.payload["user_id"] == ann.pk
    assert {target for (target,) in event.deliveries.values_list("target")} == LISTENERS
    assert RevokedAccount.objects.get(user_id=ann.pk).erased is True
    assert not LoginFailure.objects.filter(username_key="ann").exists()


def test_a_deleted_account_s_token_is_refused_once_committed(make_account, django_capture_on_commit_callbacks):
    ann = make_account("ann")
    token = token_from_before(ann.pk)

    with django_capture_on_commit_callbacks(execute=True):
        services.account_delete(account_id=ann.pk, caller=Caller(user_id=ann.pk))

    refused = bearer_client(token).get("/api/fullnames/")
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "token_not_valid")


def test_deactivating_tells_every_service_and_reactivating_needs_no_event(make_account):
    ann, staff = make_account("ann"), Caller(user_id=1, is_staff=True)

    services.account_deactivate(account_id=ann.pk, caller=staff)
    services.account_deactivate(account_id=ann.pk, caller=staff)  # already: nothing more
    services.account_reactivate(account_id=ann.pk, caller=staff)

    told = OutboxEvent.objects.filter(event_type__startswith="account.d").values_list("event_type", flat=True)
    assert list(told) == ["account.deactivated"]
    assert RevokedAccount.objects.get(user_id=ann.pk).erased is False  # tokens from before stay refused
