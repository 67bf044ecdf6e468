"""A service's admin behind the gateway's back office, under a path prefix.

The gateway serves every service's admin from one address: it forwards
/admin/<service>/<rest> to the service as /<rest>, with `X-Forwarded-Prefix:
/admin/<service>` and `Authorization: Bearer <access token>` of the staff member
logged in at the gateway's /admin/login/. For such a request this middleware:

- believes the prefix only from TRUSTED_PROXIES: common.forwarded drops it, with the
  other X-Forwarded-* headers, from anyone else, so a client calling a service
  directly chooses nothing;
- answers from a URLconf of its own (request.urlconf: the admin at the root, nothing
  else), with the script prefix, SCRIPT_NAME and request.path set to the prefix, so
  reverse(), redirects, form actions and static URLs (PrefixedStaticFilesStorage)
  all point under /admin/<service>/;
- takes the user from the bearer token alone (verified as every service verifies
  tokens; the staff claim required), as the local staff user of
  common.admin_auth.local_staff_user. No token, or one that is bad, expired or not
  staff: a redirect to the gateway's login, which comes back to the page asked for.
  The admin's own login and logout pages send the user to the gateway's, so one
  login opens every admin and one logout closes them all.

Without the header nothing changes: the service's own port serves its admin with its
own login, as before.
"""

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.messages.storage.session import SessionStorage
from django.contrib.staticfiles.storage import StaticFilesStorage
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import get_script_prefix, reverse, set_script_prefix
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from common.admin_auth import local_staff_user
from common.errors import ErrorCode, error_response

if TYPE_CHECKING:
    from django.contrib.auth.models import User

PREFIX_HEADER = "HTTP_X_FORWARDED_PREFIX"
# The URLconf of a request under the prefix: the admin at the root (backoffice_urls.py).
URLCONF = "common.backoffice_urls"
# The gateway's pages, on the host the browser asked (the gateway's, from X-Forwarded-Host).
LOGIN_URL = "/admin/login/"
LOGOUT_URL = "/admin/logout/"
# One or more path segments, no trailing slash: /admin/book.
_PREFIX = re.compile(r"(?:/[A-Za-z0-9._~-]+)+")


def staff_claims(access: str, *, margin: float = 0) -> dict[str, Any] | None:
    """The claims of a valid access token (verified as every service verifies tokens)
    of a staff account, with a username and at least `margin` seconds to live; else
    None. The gateway's back office and the services judge a token by this alone."""
    try:
        claims: dict[str, Any] = AccessToken(access).payload  # type: ignore[arg-type]  # simplejwt types the encoded token as a Token
    except TokenError:
        return None
    if claims.get("is_staff") is not True or claims.get("service") is not None:
        return None
    username, exp = claims.get("username"), claims.get("exp")
    if not isinstance(username, str) or not username:
        return None
    if not isinstance(exp, int | float) or exp - margin <= time.time():
        return None
    return claims


def bearer_staff_user(request: HttpRequest) -> "User | None":
    """The local staff user of the request's bearer token, or None when there is no
    token, or it is not a valid access token of a staff account."""
    kind, _, raw = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    claims = staff_claims(raw) if kind == "Bearer" and raw else None
    if claims is None:
        return None
    return local_staff_user(username=claims["username"], user_id=claims.get("user_id"))


def login_redirect(request: HttpRequest, *, next_path: str | None = None) -> HttpResponseRedirect:
    """To the gateway's login, which comes back to `next_path` (the page asked for)."""
    return HttpResponseRedirect(f"{LOGIN_URL}?{urlencode({'next': next_path or request.get_full_path()})}")


class BackofficeMiddleware:
    """After AuthenticationMiddleware, whose request.user it replaces under the prefix."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        prefix = request.META.get(PREFIX_HEADER)
        if prefix is None:
            return self.get_response(request)
        if not _PREFIX.fullmatch(prefix):
            return error_response(400, ErrorCode.BAD_REQUEST, "X-Forwarded-Prefix is not a path prefix.")
        request.urlconf = URLCONF  # read by Django's handler before it resolves the path
        request.META["SCRIPT_NAME"] = prefix
        request.path = prefix + request.path_info
        previous = get_script_prefix()
        set_script_prefix(prefix + "/")
        try:
            return self._answer(request, prefix)
        finally:
            set_script_prefix(previous)  # the test client reuses the thread; a server sets it per request

    def _answer(self, request: HttpRequest, prefix: str) -> HttpResponseBase:
        if request.path == reverse("admin:logout", urlconf=URLCONF):
            return HttpResponseRedirect(LOGOUT_URL)
        if request.path == reverse("admin:login", urlconf=URLCONF):
            wanted = request.GET.get("next", "")
            return login_redirect(request, next_path=wanted if wanted.startswith(prefix + "/") else prefix + "/")
        user = bearer_staff_user(request)
        if user is None:
            return login_redirect(request)
        request.user = user

        async def auser() -> "User":
            return user

        request.auser = auser  # as AuthenticationMiddleware sets it, for async code
        return self.get_response(request)


class PrefixedStaticFilesStorage(StaticFilesStorage):
    """Static files' URLs under the script prefix of the request being answered.

    Django adds the script prefix to a relative STATIC_URL once, when the setting is
    first read, and keeps it for the process; a service answers both on its own port
    (no prefix) and through the gateway (/admin/<service>), so the prefix is added
    per call here instead, to STATIC_URL "/static/". whitenoise serves the files by
    path_info (/static/...), the same with or without the prefix."""

    def url(self, name: str | None) -> str:
        url = super().url(name)
        prefix = get_script_prefix()
        if prefix != "/" and url.startswith("/") and not url.startswith("//"):
            return prefix + url[1:]
        return url


class ServiceCookieStorage(CookieStorage):
    """Admin messages in a cookie named for the service (book_messages): through the
    gateway every admin shares one host, where one "messages" cookie would carry one
    service's messages to another's pages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cookie_name = f"{settings.SERVICE_NAME}_messages"


class ServiceMessageStorage(FallbackStorage):
    """Django's default (a cookie, then the session) with the cookie named per service."""

    storage_classes = (ServiceCookieStorage, SessionStorage)
