"""The links of the account emails: a password reset (Django's token generator:
single-use, since it hashes the password it resets, and expiring after
PASSWORD_RESET_TIMEOUT) and an email verification (a signed account id and address,
expiring after EMAIL_VERIFICATION_SECONDS). Both point at ACCOUNT_LINKS_BASE_URL, the
shop's front end, which posts what they carry back to this service's API."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import Account

_VERIFICATION_SALT = "accounts.email-verification"


def _link(path: str, **query: str) -> str:
    return f"{settings.ACCOUNT_LINKS_BASE_URL.rstrip('/')}/{path}/?{urlencode(query)}"


def password_reset_link(account: Account) -> str:
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    return _link("reset-password", uid=uid, token=default_token_generator.make_token(account))


def password_reset_account_id(uid: str) -> int | None:
    """The account id a reset link's uid names, or None for one that names none."""
    try:
        account_id = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return account_id if 0 < account_id < 2**63 else None


def password_reset_token_valid(account: Account, token: str) -> bool:
    return default_token_generator.check_token(account, token)


def verification_link(account: Account) -> str:
    token = signing.dumps({"user_id": account.pk, "email": account.email}, salt=_VERIFICATION_SALT, compress=True)
    return _link("verify-email", token=token)


def verification_claims(token: str) -> tuple[int, str] | None:
    """(account id, email) of a verification token that is ours and not expired, else None."""
    try:
        claims = signing.loads(token, salt=_VERIFICATION_SALT, max_age=settings.EMAIL_VERIFICATION_SECONDS)
        return int(claims["user_id"]), str(claims["email"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
