from datetime import timedelta

import pytest
from django.conf import settings

from backoffice import session
from common.auth import mint_access_token


def staff_access(*, lifetime: timedelta | None = None, is_staff: bool = True, username: str = "boss") -> str:
    return mint_access_token(user_id=7, username=username, is_staff=is_staff, lifetime=lifetime)


def log_in(client, *, access: str | None = None, refresh: str = "the-refresh-token") -> str:
    """The client holds a back-office login (its cookie, as the login view writes it)."""
    access = access or staff_access()
    client.cookies[session.COOKIE] = session.cookie_value(access=access, refresh=refresh)
    return access


@pytest.fixture
def customer_url():
    return settings.SERVICE_URLS["customer"]
