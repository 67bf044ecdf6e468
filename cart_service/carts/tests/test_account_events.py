"""account.deleted and account.deactivated: a deleted account's cart goes, and its
tokens, as a deactivated account's, are refused here from then on."""

import pytest

from carts import services
from carts.models import Cart
from common.testing.account_events import account_event, hear, token_from_before
from common.testing.plugin import bearer_client

pytestmark = pytest.mark.django_db


def test_a_deleted_account_s_cart_goes_and_its_token_is_refused(service_client, django_capture_on_commit_callbacks):
    services.cart_create(user_id=5)
    services.cart_create(user_id=6)
    token = token_from_before(5)
    assert bearer_client(token).get("/api/carts/5/").status_code == 200

    assert hear(service_client, "account.deleted", 5, django_capture_on_commit_callbacks)["status"] == "processed"

    assert list(Cart.objects.values_list("user_id", flat=True)) == [6]
    refused = bearer_client(token).get("/api/carts/5/")
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "token_not_valid")


def test_a_deactivated_account_keeps_its_cart_and_loses_its_tokens(service_client, django_capture_on_commit_callbacks):
    services.cart_create(user_id=5)
    token = token_from_before(5)

    hear(service_client, "account.deactivated", 5, django_capture_on_commit_callbacks)

    assert Cart.objects.filter(user_id=5).exists()
    assert bearer_client(token).get("/api/carts/5/").status_code == 401


def test_only_services_post_account_events(user_client, staff_client, api_client):
    event = account_event("account.deleted", 5)
    assert user_client(5).post("/api/events/", event, format="json").status_code == 403
    assert staff_client.post("/api/events/", event, format="json").status_code == 403
    assert api_client.post("/api/events/", event, format="json").status_code == 401
