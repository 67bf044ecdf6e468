"""The tokens this service issues: simplejwt refresh and access tokens carrying the
claims every service's stateless authentication reads (common.auth.ClaimsUser)."""

from typing import TypeVar

from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token

from accounts.models import Account

_T = TypeVar("_T", bound=Token)


def _with_claims(token: _T, account: Account) -> _T:
    # An int, as common.auth.mint_access_token writes it (for_user writes a string).
    token["user_id"] = account.id
    token["username"] = account.username
    token["is_staff"] = account.is_staff
    token["email_verified"] = account.email_verified  # order_service's checkout asks for it
    return token


def access_token_for(account: Account) -> AccessToken:
    return _with_claims(AccessToken.for_user(account), account)


def token_pair_for(account: Account) -> dict[str, str]:
    """A new refresh token (recorded, so it can be revoked) and its access token, which
    copies its claims."""
    refresh = _with_claims(RefreshToken.for_user(account), account)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}
