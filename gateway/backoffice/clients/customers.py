"""customer_service, as the back office needs it: a staff login and its renewal."""

from dataclasses import dataclass

from common.http import client_for, peer_body

SERVICE = "customer"
LOGIN_PATH = "/api/auth/login/"
REFRESH_PATH = "/api/auth/refresh/"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


class LoginRefused(Exception):
    """customer_service refused the username and password: `status` 401 (or 400) for
    wrong ones, 429 after too many failures (`retry_after` seconds)."""

    def __init__(self, status: int, retry_after: int | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.retry_after = retry_after


def tokens_for_login(*, username: str, password: str, address: str) -> TokenPair:
    """The access and refresh token of a login. `address` is the browser's, passed on
    as X-Forwarded-For: customer_service throttles failed logins per client address.
    Raises LoginRefused, or DependencyError when customer_service cannot answer."""
    response = client_for(SERVICE).post(
        LOGIN_PATH, json={"username": username, "password": password}, headers={"X-Forwarded-For": address}
    )
    if response.status_code in (400, 401, 429):
        retry_after = response.headers.get("Retry-After", "")
        raise LoginRefused(response.status_code, int(retry_after) if retry_after.isdigit() else None)
    body = peer_body(response, service=SERVICE, shape={"access": str, "refresh": str})
    return TokenPair(access=body["access"], refresh=body["refresh"])


def access_for_refresh(*, refresh: str) -> str | None:
    """A new access token (its claims read again from the account), or None when the
    refresh token is refused (expired, or the account is gone or disabled). Raises
    DependencyError when customer_service cannot answer."""
    response = client_for(SERVICE).post(REFRESH_PATH, json={"refresh": refresh})
    if response.status_code in (400, 401):
        return None
    access: str = peer_body(response, service=SERVICE, shape={"access": str})["access"]
    return access
