"""customer_service, as notifications need it: a customer's email address (and, for the
admin, usernames).

Addresses are kept for NOTIFICATION_EMAIL_CACHE_SECONDS in this process's memory
(ADDRESSES), not in the cache the replicas share (Redis, REDIS_URL): each process asks at
most once a minute per customer; a changed address is seen within that time. Redis's
client, loaded at the first email, was most of the memory this service took beyond the
other services', and every email paid a round trip to it."""

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache

from common.errors import ServiceUnavailable
from common.http import client_for

SERVICE = "customer"
# Django's memory cache, under a name of its own (not CACHES' default, which is Redis when
# REDIS_URL is set); the least recently used addresses go first beyond MAX_ENTRIES.
ADDRESSES = LocMemCache("notifications-account-emails", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


class AccountNotFound(Exception):
    """customer_service has no account with this id (deleted, or never existed)."""


def _cache_key(user_id: int) -> str:
    return f"notifications:account-email:{user_id}"


def account_email(*, user_id: int) -> str:
    """The account's email address; AccountNotFound if there is none, 503/504 errors
    (common.errors.DependencyError) if customer_service cannot say."""
    key = _cache_key(user_id)
    if cached := ADDRESSES.get(key):
        return cached
    response = client_for(SERVICE).get(f"/api/accounts/{user_id}/")
    if response.status_code == 404:
        raise AccountNotFound(user_id)
    if response.status_code != 200:
        raise ServiceUnavailable(SERVICE, f"The customer service refused to read the account ({response.status_code}).")
    try:
        email = response.json()["email"]
    except (ValueError, TypeError, KeyError):
        email = None
    if not isinstance(email, str) or "@" not in email:
        raise ServiceUnavailable(SERVICE, "The customer service answered with an account without a usable email.")
    ADDRESSES.set(key, email, settings.NOTIFICATION_EMAIL_CACHE_SECONDS)
    return email


def account_email_forget(*, user_id: int) -> None:
    """Its address is not kept any longer (a deleted account). Another replica's copy is
    never used again (the account's notifications are gone and no new one is made) and
    expires within NOTIFICATION_EMAIL_CACHE_SECONDS."""
    ADDRESSES.delete(_cache_key(user_id))
