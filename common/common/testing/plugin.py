"""pytest plugin loaded by every service's suite (`-p common.testing.plugin`).

Fast settings for tests and clients that carry a token for a user, staff or a service.
"""

import socket
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
import responses
from pytest_django.fixtures import Settings

if TYPE_CHECKING:
    from rest_framework.test import APIClient

# Django is configured only after this plugin is loaded: DRF and simplejwt are
# imported inside the fixtures.


@pytest.fixture(autouse=True)
def _fast_test_settings(settings: Settings) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Every event a service publishes in its tests is checked against its contract.
    settings.EVENT_CONTRACTS_STRICT = True
    # Each process's own memory, empty at each test's start: answers cached from another
    # test's rows are gone, and no suite clears a Redis (REDIS_URL) another one is using.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()
    from django.apps import apps

    if apps.is_installed("common.revocation"):
        from common.revocation.services import RECENT

        RECENT.forget(read_again=False)  # another test's revocations are gone, and no query is added
    yield
    from common.lazy import forget_all

    forget_all()  # clients, pools and breakers made from this test's settings


def bearer_client(token: str | None) -> "APIClient":
    from rest_framework.test import APIClient

    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def api_client() -> "APIClient":
    """No token: an anonymous caller."""
    return bearer_client(None)


@pytest.fixture
def user_client() -> Callable[..., "APIClient"]:
    """user_client(user_id) -> a client acting as that (non-staff) user."""

    from common.auth import mint_access_token

    def make(user_id: int, username: str | None = None) -> "APIClient":
        return bearer_client(mint_access_token(user_id=user_id, username=username or f"user{user_id}"))

    return make


@pytest.fixture
def staff_client() -> "APIClient":
    from common.auth import mint_access_token

    return bearer_client(mint_access_token(user_id=9000, username="staff", is_staff=True))


@pytest.fixture
def service_client() -> "APIClient":
    from common.auth import mint_access_token

    return bearer_client(mint_access_token(user_id=None, username="service:test", service="test"))


@pytest.fixture
def mocked_responses() -> Iterator[responses.RequestsMock]:
    """Other services, faked at the HTTP layer; every registered call must be made."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


# What the admins' names come from (common.admin_names): each peer's batch read by id,
# its items with the fields the clients read.
NAME_READS = {
    "customer": ("/api/accounts/", "username", "user{}", {}),
    "book": ("/api/books/", "title", "Book {}", {"price": "10.00"}),
}


@pytest.fixture
def fake_names(mocked_responses: responses.RequestsMock) -> Callable[[str], list[list[int]]]:
    """fake_names("customer") or fake_names("book"): that peer's batch read answering
    every id asked (username "user<id>", title "Book <id>"); returns the list of the id
    lists asked, one per call."""
    import json

    from django.conf import settings

    def fake(service: str) -> list[list[int]]:
        path, field, name, more = NAME_READS[service]
        asked: list[list[int]] = []

        def answer(request: Any) -> tuple[int, dict[str, str], str]:
            ids = [int(i) for i in request.params["ids"].split(",")]
            asked.append(ids)
            results = [{"id": i, field: name.format(i), **more} for i in ids]
            return 200, {}, json.dumps({"count": len(ids), "results": results, "missing_ids": []})

        url = f"{settings.SERVICE_URLS[service]}{path}"
        mocked_responses.add_callback("GET", url, callback=answer, content_type="application/json")
        return asked

    return fake


@pytest.fixture
def closed_port_url() -> str:
    """The URL of a port on this machine where nothing listens (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    database = settings.DATABASES["default"]
    return f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}"
