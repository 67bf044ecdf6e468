"""Stateless JWT identity shared by every service.

customer_service issues the tokens; every service verifies them with
simplejwt's JWTStatelessUserAuthentication (signature and expiry only, no
database lookup; each distinct token's signature once per process, common.verified_tokens)
and gets a ClaimsUser built from the claims. Services calling
each other use short-lived service tokens minted here.
"""

import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, cached_property
from typing import Any, cast

from django.apps import apps
from django.conf import settings
from django.core.signals import setting_changed
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.tokens import AccessToken, Token

from common.verified_tokens import VERIFIED


@dataclass(frozen=True)
class Caller:
    """Who is acting, the one way every service says it: a customer, staff, or another
    service. From a request's token (`Caller.of(request.user)`), or a service acting
    by itself (a sweep, an event handler: `Caller.this_service()`)."""

    user_id: int | None
    is_staff: bool = False
    service: str | None = None
    email_verified: bool = True  # a person's token says; services and staff acting are not asked

    @classmethod
    def of(cls, user: Any) -> "Caller":
        # request.user: a ClaimsUser once authenticated (the stubs say a Django user).
        service = getattr(user, "service", None)
        return cls(
            user_id=None if service else int(user.id),
            is_staff=bool(user.is_staff),
            service=service,
            email_verified=bool(getattr(user, "email_verified", True)),
        )

    @classmethod
    def this_service(cls) -> "Caller":
        return cls(user_id=None, service=settings.SERVICE_NAME)

    @property
    def is_privileged(self) -> bool:
        """Staff and services act on anyone's data; a customer on their own."""
        return self.is_staff or self.service is not None

    def owns(self, owner_id: object) -> bool:
        return self.user_id is not None and owner_id is not None and str(self.user_id) == str(owner_id)

    def may_see(self, owner_id: object) -> bool:
        """Staff and services see anyone's data; a customer their own."""
        return self.is_privileged or self.owns(owner_id)

    @property
    def label(self) -> str:
        """For histories: "user 5", "staff 9000", "service payment"."""
        if self.service:
            return f"service {self.service}"
        return f"{'staff' if self.is_staff else 'user'} {self.user_id}"

    @property
    def key(self) -> str:
        """What keys are per (Idempotency-Keys, rate limits): "user:5", "service:order"."""
        return f"service:{self.service}" if self.service else f"user:{self.user_id}"


class ClaimsUser(TokenUser):
    """The caller, as the token describes it: user_id, username, is_staff, and
    `service` for service tokens (which carry no user)."""

    @cached_property
    def service(self) -> str | None:
        service: str | None = self.token.get("service")
        return service

    @property
    def is_service(self) -> bool:
        return self.service is not None

    @property
    def email_verified(self) -> bool:
        """Whether the person's email was verified when the token was issued. A token
        without the claim (from before verification existed: 15 minutes at most) is
        not verified."""
        return self.token.get("email_verified") is True


class ClaimsAuthentication(JWTStatelessUserAuthentication):
    """simplejwt's stateless check (signature and expiry), and then, where the service
    records revoked accounts (common.revocation), the token refused if its account was
    deleted or deactivated after it was issued. No database query per request. A token
    already verified in this process has only its dates checked again (common.verified_tokens);
    the revocation check runs at every request."""

    def __init__(self) -> None:
        # Not simplejwt's, which looks up the user model: DRF makes an authenticator for
        # each request, and only simplejwt's database-backed get_user reads the model.
        pass

    def get_validated_token(self, raw_token: bytes) -> Token:
        return VERIFIED.get_or_validate(raw_token, super().get_validated_token)

    def get_user(self, validated_token: Any) -> Any:
        user = cast(ClaimsUser, super().get_user(validated_token))  # TOKEN_USER_CLASS; the stubs say a Django user
        if _revocations_recorded() and not user.is_service and user.id is not None:
            from common.revocation.services import token_revoked

            if token_revoked(user_id=int(user.id), issued_at=float(validated_token.get("iat", 0))):
                raise InvalidToken("The account of this token was deleted or deactivated.")
        return user


@cache
def _revocations_recorded() -> bool:
    # Asked at every request; Django's answer walks the installed apps.
    return apps.is_installed("common.revocation")


def _ask_again_on_apps_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "INSTALLED_APPS":  # override_settings in tests
        _revocations_recorded.cache_clear()


setting_changed.connect(_ask_again_on_apps_change)


def mint_access_token(
    *,
    user_id: int | None,
    username: str = "",
    is_staff: bool = False,
    service: str | None = None,
    lifetime: timedelta | None = None,
    email_verified: bool = True,
) -> str:
    """A signed access token with our claims (for service calls and tests)."""
    token = AccessToken()
    if lifetime is not None:
        token.set_exp(lifetime=lifetime)
    token["user_id"] = user_id
    token["username"] = username
    token["is_staff"] = is_staff
    token["email_verified"] = email_verified
    if service is not None:
        token["service"] = service
    return str(token)


class _ServiceTokenCache:
    """One service token per process, renewed when less than a third of its life is left,
    so service calls do not sign a token each time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def get(self) -> str:
        now = time.monotonic()
        with self._lock:
            if self._token is None or now >= self._renew_at:
                lifetime = settings.SERVICE_TOKEN_LIFETIME_SECONDS
                self._token = mint_access_token(
                    user_id=None,
                    username=f"service:{settings.SERVICE_NAME}",
                    service=settings.SERVICE_NAME,
                    lifetime=timedelta(seconds=lifetime),
                )
                self._renew_at = now + lifetime * 2 / 3
            return self._token


service_token = _ServiceTokenCache().get
