from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import get_object_or_404

from accounts.errors import AccountErrorCode, Unauthenticated
from accounts.models import Account
from common.auth import Caller
from common.errors import NotFound


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


def account_visible(caller: Caller, account_id: int) -> Account:
    """The account if the caller may see it (its owner, staff or a service); someone
    else's is the 404 of one that does not exist, so ids cannot be probed."""
    if not caller.may_see(account_id):
        raise NotFound("Not found.")
    return get_object_or_404(Account, pk=account_id)
