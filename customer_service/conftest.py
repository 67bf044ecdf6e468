"""Fixtures of the customer service's suite: accounts with real tokens, and
cart_service faked at the HTTP layer."""

import pytest
from django.conf import settings

from common.testing.plugin import bearer_client

PASSWORD = "correct-horse-battery"  # noqa: S105 (the test accounts' password)


@pytest.fixture(autouse=True)
def _outbox_without_threads(settings):
    # The outbox's fast path would deliver account and customer events from a
    # background thread that races the test's database; tests look at the outbox.
    settings.OUTBOX_FAST_PATH = False


@pytest.fixture
def make_account(db):
    """make_account("ann", is_staff=False) -> an Account with the password PASSWORD."""
    from accounts import services

    def make(username: str, *, is_staff: bool = False, email: str | None = None):
        return services.account_create(
            username=username, email=email or f"{username}@example.com", password=PASSWORD, is_staff=is_staff
        )

    return make


@pytest.fixture
def client_of():
    """client_of(account) -> an API client with the access token that account gets at login."""
    from accounts.tokens import token_pair_for

    return lambda account: bearer_client(token_pair_for(account)["access"])


@pytest.fixture
def carts_url():
    return f"{settings.SERVICE_URLS['cart']}/api/carts/"


@pytest.fixture
def cart_service(mocked_responses, carts_url):
    """cart_service answering 5.1 with a new cart (201) for whichever user_id it is sent."""

    def create_cart(request):
        import json

        user_id = json.loads(request.body)["user_id"]
        return 201, {}, json.dumps({"id": user_id + 100, "user_id": user_id, "items": []})

    mocked_responses.add_callback("POST", carts_url, callback=create_cart, content_type="application/json")
    return mocked_responses
