"""The tokens this service issues: simplejwt refresh and access tokens carrying the
claims every service's stateless authentication reads (common.auth.ClaimsUser)."""

from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Account


def refresh_token_for(account: Account) -> RefreshToken:
    refresh = RefreshToken.for_user(account)
    # An int, as common.auth.mint_access_token writes it (for_user writes a string).
    refresh["user_id"] = account.id
    refresh["username"] = account.username
    refresh["is_staff"] = account.is_staff
    return refresh  # its access_token copies these claims


def token_pair_for(account: Account) -> dict[str, str]:
    refresh = refresh_token_for(account)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}
