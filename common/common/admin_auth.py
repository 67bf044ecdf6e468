"""Staff log in to every service's Django admin with their customer_service login.

customer_service owns the accounts. The other services' admins authenticate with
this backend: it posts the username and password to customer_service's login
endpoint and, for a staff account, creates or updates a local staff user of the
same name (with no usable password, so the password is only ever checked by
customer_service). Each admin login asks again, so a changed password, a
deleted account or a lost staff flag takes effect at the next login.
"""

import logging
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from common.errors import DependencyError
from common.http import client_for

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

ACCOUNTS_SERVICE = "customer"
LOGIN_PATH = "/api/auth/login/"


def _client_address(request: HttpRequest | None) -> str | None:
    # The admin user's own address (common.forwarded), which customer_service believes
    # from this service, a trusted proxy.
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


class CustomerServiceAdminBackend(BaseBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> "User | None":
        if not username or not password or settings.SERVICE_NAME == ACCOUNTS_SERVICE:
            return None
        headers = {}
        if address := _client_address(request):
            # customer_service throttles failed logins per client address: the admin
            # user's address, not this service's.
            headers["X-Forwarded-For"] = address
        try:
            response = client_for(ACCOUNTS_SERVICE).post(
                LOGIN_PATH, json={"username": username, "password": password}, headers=headers
            )
        except DependencyError as error:
            logger.warning("admin login for %r not checked: %s", username, error.message)
            return None
        if response.status_code != 200:
            if response.status_code != 401:
                logger.warning("admin login for %r refused by customer_service (%s)", username, response.status_code)
            return None
        claims = self._verified_claims(response)
        if claims is None or not claims.get("is_staff"):
            return None
        return local_staff_user(username=str(claims.get("username") or username), user_id=claims.get("user_id"))

    def _verified_claims(self, response: requests.Response) -> dict[str, Any] | None:
        try:
            return AccessToken(response.json()["access"]).payload
        except (ValueError, TypeError, KeyError, TokenError):
            logger.warning("customer_service answered a login without a valid access token")
            return None

    def get_user(self, user_id: int) -> "User | None":
        user = get_user_model().objects.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None


def local_staff_user(*, username: str, user_id: object = None) -> "User | None":
    """The user a staff login of customer_service acts as in this service's admin: after
    a password login here (CustomerServiceAdminBackend) or with the access token the
    gateway's back office forwards (common.backoffice). The caller has checked that
    customer_service vouches for a staff account.

    In customer_service the account itself (by `user_id`), while its own database says
    it is an active staff account; elsewhere a local user of the same name, made on
    first use with no usable password. None when that user is switched off.
    """
    user_model = get_user_model()
    if settings.SERVICE_NAME == ACCOUNTS_SERVICE:
        # pk=None (no usable user_id claim) finds no account; the stubs want a value.
        account = user_model.objects.filter(pk=_int_or_none(user_id), is_active=True, is_staff=True).first()  # type: ignore[misc]
        if account is not None:
            # Staff administer every service's admin (as the local users below do), this
            # one's too; for this request only, so the account's own flag stays as set.
            account.is_superuser = True
        return account
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model(username=username)
        user.set_unusable_password()
    if not user.is_active:
        return None  # switched off in this service's own admin
    if user.pk is None or not (user.is_staff and user.is_superuser):
        # customer_service's staff administer every service's admin. Saved only when new
        # or changed: the back office asks on every page, and a write would be a lock.
        user.is_staff = True
        user.is_superuser = True
        user.save()
    return user


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
