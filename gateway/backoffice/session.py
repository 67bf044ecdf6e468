"""The staff member logged in at the back office: an access and a refresh token of
customer_service in one cookie.

The cookie is signed (with the gateway's SECRET_KEY), HttpOnly, SameSite=Lax, Secure
behind HTTPS, and sent for /admin/ only, never with the API's requests. The gateway
reads it on every back-office request and forwards the access token alone, as a bearer
token (backoffice.views.admin_forward); the services never see the cookie. An access
token that has expired, or will within REFRESH_MARGIN_SECONDS, is renewed with the
refresh token, which reads the account again (a lost staff flag, a disabled or deleted
account end the login at once). Logging out drops the cookie: every service's admin
is authenticated from it per request, so that logs out of all of them.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from backoffice.clients import customers
from common.backoffice import staff_claims

COOKIE = "backoffice"
COOKIE_PATH = "/admin/"
_SALT = "backoffice.session"
# An access token with less life than this left is renewed before it is forwarded, so it
# does not expire between the gateway and the service.
REFRESH_MARGIN_SECONDS = 30


@dataclass(frozen=True)
class StaffSession:
    access: str
    refresh: str
    claims: dict[str, Any]
    renewed: bool = False  # the access token is new: the cookie must be written again

    @property
    def username(self) -> str:
        return str(self.claims.get("username", ""))

    @property
    def user_id(self) -> object:
        return self.claims.get("user_id")


def stored_tokens(request: HttpRequest) -> tuple[str, str] | None:
    """(access, refresh) as the cookie holds them (signed by this gateway), unchecked."""
    raw = request.COOKIES.get(COOKIE)
    if not raw:
        return None
    try:
        access, refresh = signing.loads(raw, salt=_SALT, max_age=_lifetime_seconds())
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return (access, refresh) if isinstance(access, str) and isinstance(refresh, str) else None


def has_cookie(request: HttpRequest) -> bool:
    return COOKIE in request.COOKIES


def current(request: HttpRequest) -> StaffSession | None:
    """The staff member's login, with an access token good for REFRESH_MARGIN_SECONDS
    at least (renewed if need be), or None: no login, or one that has ended (refresh
    token expired or refused, the account no longer staff). Raises DependencyError when
    customer_service cannot renew it."""
    stored = stored_tokens(request)
    if stored is None:
        return None
    access, refresh = stored
    if claims := staff_claims(access, margin=REFRESH_MARGIN_SECONDS):
        return StaffSession(access=access, refresh=refresh, claims=claims)
    renewed = customers.access_for_refresh(refresh=refresh)
    if renewed is None or not (claims := staff_claims(renewed)):
        return None
    return StaffSession(access=renewed, refresh=refresh, claims=claims, renewed=True)


def _lifetime_seconds() -> int:
    return int(settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].total_seconds())


def cookie_value(*, access: str, refresh: str) -> str:
    return signing.dumps([access, refresh], salt=_SALT)


def store(response: HttpResponseBase, request: HttpRequest, *, access: str, refresh: str) -> None:
    response.set_cookie(
        COOKIE,
        cookie_value(access=access, refresh=refresh),
        max_age=_lifetime_seconds(),
        path=COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE or request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def drop(response: HttpResponseBase) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, samesite="Lax")
