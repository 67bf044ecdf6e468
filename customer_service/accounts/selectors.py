from rest_framework.exceptions import PermissionDenied

from accounts.errors import AccountErrorCode, Unauthenticated
from accounts.models import Account


def account_of_caller(user) -> Account:
    """The account behind a request's token. Tokens are checked without the database,
    so an access token outlives its account by up to its lifetime: this is where
    this service notices the account is gone."""
    if getattr(user, "is_service", False) or user.id is None:
        raise PermissionDenied("Only a user's token may do this, not a service token.")
    try:
        account_id = int(user.id)
    except (TypeError, ValueError):
        account_id = None
    account = Account.objects.filter(pk=account_id, is_active=True).first() if account_id else None
    if account is None:
        raise Unauthenticated(
            "The account of this token no longer exists or is disabled.", code=AccountErrorCode.ACCOUNT_GONE
        )
    return account
