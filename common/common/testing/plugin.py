"""pytest plugin loaded by every service's suite (`-p common.testing.plugin`).

Fast settings for tests and clients that carry a token for a user, staff or a service.
"""

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

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


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    database = settings.DATABASES["default"]
    return f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}"
