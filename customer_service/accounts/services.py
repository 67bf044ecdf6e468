"""Writes to accounts: sign-up, login, token refresh, logout, passwords, deletion."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import links, selectors, throttling
from accounts.errors import AccountErrorCode, LinkNotValid, LoginThrottled, Unauthenticated, WrongPassword
from accounts.models import Account, LoginFailure
from accounts.tokens import access_token_for, token_pair_for
from common.auth import Caller
from common.errors import Conflict, ErrorCode, NotFound
from common.outbox.publisher import publish
from common.revocation.services import account_revoke

logger = logging.getLogger(__name__)


def _taken(code: str, field: str, message: str) -> Conflict:
    return Conflict(message, code=code, details={field: [message]})


def _check_free(*, username: str, email: str) -> None:
    if Account.objects.filter(username__iexact=username).exists():
        raise _taken(AccountErrorCode.USERNAME_TAKEN, "username", "An account with this username already exists.")
    if Account.objects.filter(email__iexact=email).exists():
        raise _taken(AccountErrorCode.EMAIL_TAKEN, "email", "An account with this email already exists.")


@transaction.atomic
def account_create(
    *, username: str, email: str, password: str, is_staff: bool = False, email_verified: bool = False
) -> Account:
    """4.1: the password must pass AUTH_PASSWORD_VALIDATORS and is kept only as a hash.
    An address not known to be the person's (`email_verified`, for the demo logins) is
    sent a verification link."""
    email = email.strip().lower()
    candidate = Account(username=username, email=email)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as error:
        raise ValidationError({"password": list(error.messages)}) from None
    _check_free(username=username, email=email)
    try:
        with transaction.atomic():
            account = Account.objects.create_user(
                username, email, password, is_staff=is_staff, email_verified=email_verified
            )
    except IntegrityError:  # a concurrent sign-up with the same username or email won the race
        _check_free(username=username, email=email)
        raise
    publish(
        "account.created",
        {"user_id": account.pk, "username": account.username, "email": account.email},
        key=f"account:{account.pk}",
    )
    if not email_verified:
        _link_send(account, kind="verification")
    return account


# The account emails with a link: the event that sends each, the field dating the last
# one, the link, and how long it works.
_LINK_EMAILS = {
    "verification": (
        "account.verification_requested",
        "verification_sent_at",
        links.verification_link,
        lambda: settings.EMAIL_VERIFICATION_SECONDS,
    ),
    "password_reset": (
        "account.password_reset_requested",
        "password_reset_sent_at",
        links.password_reset_link,
        lambda: settings.PASSWORD_RESET_TIMEOUT,
    ),
}


def _link_send(account: Account, *, kind: str) -> bool:
    """The email with a link of this kind, unless one went within
    ACCOUNT_EMAIL_INTERVAL_SECONDS; whether it is sent. The caller holds the account's
    row locked (or has just made it), so two requests do not both send."""
    event_type, sent_field, make_link, valid_seconds = _LINK_EMAILS[kind]
    now = timezone.now()
    last = getattr(account, sent_field)
    if last is not None and (now - last).total_seconds() < settings.ACCOUNT_EMAIL_INTERVAL_SECONDS:
        logger.info("account %s: %s email not sent again so soon", account.pk, kind)
        return False
    setattr(account, sent_field, now)
    account.save(update_fields=[sent_field])
    payload = {"user_id": account.pk, "username": account.username, "email": account.email}
    publish(
        event_type,
        payload | {"link": make_link(account), "valid_minutes": max(1, valid_seconds() // 60)},
        key=f"account:{account.pk}",
    )
    return True


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """A reset link to the active account with this email, if there is one. The caller
    is told the same whatever happens here, so the answer does not say which emails
    have an account."""
    account = Account.objects.select_for_update().filter(email=email.strip().lower(), is_active=True).first()
    if account is not None:
        _link_send(account, kind="password_reset")


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> dict[str, str]:
    """The password of a reset link's account, once: the token hashes the password it
    resets, so it stops working once used (the row is locked while it is checked, so
    two uses at once do not both pass). Following the link also proves the email is
    the person's, and clears the failed logins that may have locked them out. Every
    refresh token is revoked; the answer is a new pair."""
    account_id = links.password_reset_account_id(uid)
    account = Account.objects.select_for_update().filter(pk=account_id, is_active=True).first() if account_id else None
    if account is None or not links.password_reset_token_valid(account, token):
        raise LinkNotValid("This password reset link is not valid: it is wrong, used or expired. Ask for a new one.")
    if not account.email_verified:
        account.email_verified = True
        account.save(update_fields=["email_verified"])
    login_failures_clear(username=account.username)
    return _password_set(account, new_password, field="new_password")


@transaction.atomic
def email_verify(*, token: str) -> Account:
    """The account of a verification link, its email verified (again: a no-op). A link
    made for an address the account no longer has is not valid."""
    claims = links.verification_claims(token)
    account = None
    if claims is not None:
        account_id, email = claims
        account = Account.objects.select_for_update().filter(pk=account_id, email=email, is_active=True).first()
    if account is None:
        raise LinkNotValid("This verification link is not valid: it is wrong or expired. Ask for a new one.")
    if not account.email_verified:
        account.email_verified = True
        account.save(update_fields=["email_verified"])
    return account


@transaction.atomic
def email_verification_resend(*, caller: Caller) -> bool:
    """A new verification link for a logged-in person whose email is not verified;
    whether one was sent (not within ACCOUNT_EMAIL_INTERVAL_SECONDS of the last)."""
    if caller.user_id is None or caller.service:
        raise PermissionDenied("Only a person asks for their own verification email.")
    account = Account.objects.select_for_update().filter(pk=caller.user_id, is_active=True).first()
    if account is None:
        raise _account_gone()
    if account.email_verified:
        raise Conflict("This account's email is verified already.", code=AccountErrorCode.EMAIL_VERIFIED)
    return _link_send(account, kind="verification")


@transaction.atomic
def account_delete(*, account_id: int, caller: Caller) -> None:
    """4.2 (its owner or staff) erases the person: the account, its customer, full names
    and addresses (foreign keys cascade) and its failed logins here; account.deleted
    tells every other service to refuse its tokens and remove or anonymise what it holds
    (its cart, its notifications, the card on its payments). Orders and payments stay, by
    user id only, for the shop's accounts. Services read accounts (an email to write
    to); only people delete them."""
    if caller.service:
        raise PermissionDenied("Only the account's owner or staff may delete it.")
    account = selectors.account_visible(caller, account_id)
    LoginFailure.objects.filter(username_key=throttling.username_key(account.username)).delete()
    account.delete()
    now = timezone.now()
    account_revoke(user_id=account_id, at=now, erased=True)
    publish("account.deleted", {"user_id": account_id, "deleted_at": now.isoformat()}, key=f"account:{account_id}")


def account_deactivate(*, account_id: int, caller: Caller) -> tuple[Account, bool]:
    """4.2 (staff), short of deleting: the account can no longer log in, refresh its
    tokens or open an admin (an access token already out lasts its few minutes, as after
    a deletion); its customer, names and addresses stay. Returns the account and whether
    this changed it (deactivating an inactive account changes nothing)."""
    return _account_activity_set(account_id=account_id, caller=caller, active=False)


def account_reactivate(*, account_id: int, caller: Caller) -> tuple[Account, bool]:
    """Staff switch a deactivated account on again; whether this changed it."""
    return _account_activity_set(account_id=account_id, caller=caller, active=True)


@transaction.atomic
def _account_activity_set(*, account_id: int, caller: Caller, active: bool) -> tuple[Account, bool]:
    if not caller.is_staff:
        raise PermissionDenied("Only staff may deactivate or reactivate an account.")
    account = Account.objects.select_for_update().filter(pk=account_id).first()
    if account is None:
        raise NotFound(f"There is no account {account_id}.")
    if account.is_active == active:
        return account, False
    account.is_active = active
    account.save(update_fields=["is_active"])
    if not active:  # its refresh tokens are refused by tokens_refresh; its access tokens everywhere from now
        now = timezone.now()
        account_revoke(user_id=account_id, at=now, erased=False)
        publish(
            "account.deactivated",
            {"user_id": account_id, "deactivated_at": now.isoformat()},
            key=f"account:{account_id}",
        )
    return account, True


@transaction.atomic
def login_attempt_record(*, username: str, address: str) -> LoginFailure:
    """An attempt, counted as a failure until its password proves right."""
    now = timezone.now()
    attempt = LoginFailure.objects.create(
        username_key=throttling.username_key(username), address=address, failed_at=now
    )
    # Failures older than the window count for nothing any more.
    LoginFailure.objects.filter(failed_at__lte=throttling.window_start(now)).delete()
    return attempt


@transaction.atomic
def login_attempt_forget(*, attempt: LoginFailure) -> None:
    attempt.delete()


@transaction.atomic
def login_failures_clear(*, username: str) -> None:
    LoginFailure.objects.filter(username_key=throttling.username_key(username)).delete()


def _password_attempt(*, username: str, address: str, check: Callable[[], Account | None]) -> Account | None:
    """`check()` (the account if the password is right, else None), counted and throttled
    as a login attempt of `username` from `address`.

    Not one transaction: the attempt is committed before anything is checked, so
    that concurrent attempts count each other, and stays as a failure when the
    password is wrong. A throttled username or address is refused before the password
    is checked, so guessing on does not tell right from wrong; the refused attempt
    is not counted, so it does not prolong the block.
    """
    attempt = login_attempt_record(username=username, address=address)
    blocked = throttling.login_blocked(username=username, address=address, attempt=attempt)
    if blocked is not None:
        login_attempt_forget(attempt=attempt)
        logger.warning("login throttled: too many failures for this %s", blocked.reason)
        raise LoginThrottled(
            f"Too many failed logins for this {blocked.reason}; try again in {blocked.retry_after_seconds} s.",
            wait=blocked.retry_after_seconds,
        )
    account = check()
    if account is not None:
        login_failures_clear(username=username)
    return account


def account_login(*, username: str, password: str, address: str) -> dict[str, str]:
    """Access and refresh tokens for a right username and password, throttled
    (_password_attempt)."""
    # Django's backend hashes the password even for an unknown username, so both
    # mistakes take the same time and get the same answer.
    account = _password_attempt(
        username=username, address=address, check=lambda: authenticate(username=username, password=password)
    )
    if account is None:
        raise Unauthenticated("Wrong username or password.", code=AccountErrorCode.INVALID_CREDENTIALS)
    return token_pair_for(account)


def account_logout(*, refresh: str) -> None:
    """The refresh token can no longer be refreshed (the access tokens it gave live out
    their few minutes). Logging out twice is a 401: the token is no longer valid."""
    token = _refresh_token(refresh)
    token.blacklist()


def account_password_change(
    *, caller: Caller, current_password: str, new_password: str, address: str
) -> dict[str, str]:
    """A logged-in person's new password, the current one required (and throttled as
    a login, so a stolen access token cannot guess it). Every refresh token of the
    account is revoked; the answer is a new pair, so this client stays logged in."""
    if caller.user_id is None or caller.service:
        raise PermissionDenied("Only a person changes their own password.")
    account = _active_account(caller.user_id)
    checked = _password_attempt(
        username=account.username,
        address=address,
        check=lambda: account if account.check_password(current_password) else None,
    )
    if checked is None:
        raise WrongPassword("The current password is wrong.", details={"current_password": ["Wrong password."]})
    return _password_set(account, new_password, field="new_password")


@transaction.atomic
def _password_set(account: Account, password: str, *, field: str) -> dict[str, str]:
    """A new password (checked by AUTH_PASSWORD_VALIDATORS), every refresh token given
    out before revoked, and a new token pair."""
    try:
        validate_password(password, user=account)
    except DjangoValidationError as error:
        raise ValidationError({field: list(error.messages)}) from None
    account.set_password(password)
    account.save(update_fields=["password"])
    refresh_tokens_revoke(account=account)
    return token_pair_for(account)


def refresh_tokens_revoke(*, account: Account) -> int:
    """Every refresh token of `account` still out is blacklisted; how many."""
    outstanding = OutstandingToken.objects.filter(
        user=account, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(revoked)


def refresh_tokens_expired_delete() -> int:
    """A sweep: refresh tokens past their expiry, and their blacklisting, deleted (a
    token is refused by its date alone by then)."""
    _, deleted = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted.get(OutstandingToken._meta.label, 0)


def _active_account(account_id: int) -> Account:
    account = Account.objects.filter(pk=account_id, is_active=True).first()
    if account is None:
        raise _account_gone()
    return account


def _account_gone() -> Unauthenticated:
    return Unauthenticated(
        "The account of this token no longer exists or is disabled.", code=AccountErrorCode.ACCOUNT_GONE
    )


def _refresh_token(encoded: str) -> RefreshToken:
    try:
        return RefreshToken(encoded)  # type: ignore[arg-type]  # simplejwt types the encoded token as a Token
    except TokenError as error:  # expired, forged, or revoked
        raise Unauthenticated(str(error), code=ErrorCode.TOKEN_NOT_VALID) from None


def tokens_refresh(*, refresh: str) -> dict[str, str]:
    """A new access token from a refresh token that is not revoked, with the claims read
    again from the account, which must still exist and be active (simplejwt's own
    refresh view answers 500 for a deleted account)."""
    token = _refresh_token(refresh)
    # pk=None (no usable user_id claim) finds no account; the stubs want a value.
    account = _active_account(_int_or_none(token.get("user_id")))  # type: ignore[arg-type]
    return {"access": str(access_token_for(account))}


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
