"""Writes: a notification made from each event, its email sent with retries, marking it read.

An event is stored and acknowledged first; its email is sent afterwards (a
background thread right after the commit, then the sweep for retries), so a mail
server or customer_service that is down never makes an event be refused or lost.
"""

import logging
import uuid
from concurrent.futures import Future
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from prometheus_client import Counter
from rest_framework.exceptions import PermissionDenied

from common import telemetry
from common.auth import Caller
from common.background import run_in_background
from common.db import create_unless_present
from common.errors import Conflict, DependencyError, NotFound
from common.metrics import REGISTRY
from common.permissions import visible_or_404
from common.revocation.services import account_erased
from common.statements import update_by_key
from notifications import messages
from notifications.clients import customers
from notifications.errors import NotificationErrorCode
from notifications.models import EmailState, Notification

logger = logging.getLogger(__name__)

# How long a taken email is left to its sender before another may try it.
EMAIL_LEASE = timedelta(minutes=2)

# Tries by this process (the fast path and the sweep of a web process): sent, retry
# (failed, tried again later) or failed (given up). Queued and failed emails are counted
# from the database when Prometheus scrapes (notifications.apps).
EMAILS = Counter(
    "notification_email_attempts",
    "Tries at sending a notification email, by outcome: sent, retry (failed, tried again later), failed (given up).",
    ["outcome"],
    registry=REGISTRY,
)


# No savepoint of its own: nothing rolls back to one and carries on; a failure here
# fails its caller's whole transaction (consume_once's), which is then retried.
@transaction.atomic(savepoint=False)
def notification_create_from_event(*, event_id: uuid.UUID, event_type: str, payload: dict) -> Notification | None:
    """The notification of one event (its payload read by its contract in common.events),
    in NOTIFICATION_LANGUAGE, its email due now; none for a deleted account (an event
    about it can arrive after account.deleted: deliveries are not ordered)."""
    body = payload
    if account_erased(body["user_id"]):
        logger.info("event %s about deleted account %s: no notification", event_id, body["user_id"])
        return None
    language = settings.NOTIFICATION_LANGUAGE
    subject, text = messages.render(event_type=event_type, language=language, payload=body)
    now = timezone.now()
    send_at_once = settings.NOTIFICATION_SEND_AT_ONCE
    # One statement; get_or_create would read first, then put a savepoint around its insert.
    notification = create_unless_present(
        Notification,
        unique=("event_id",),
        event_id=event_id,
        user_id=body["user_id"],
        event_type=event_type,
        language=language,
        subject=subject,
        body=text,
        in_app=event_type not in messages.EMAIL_ONLY,
        # account.created carries the address; the others are looked up when sending.
        email_to=body.get("email", ""),
        email_next_attempt_at=now,
        # Written leased to the try right after the commit, which then needs no
        # transaction to take it; the sweep takes over if that try never comes.
        email_leased_until=now + EMAIL_LEASE if send_at_once else None,
    )
    if notification is None:  # made by an earlier delivery of this event: its email is that one's
        return Notification.objects.get(event_id=event_id)
    if send_at_once:
        transaction.on_commit(lambda: _send_in_background(notification))
    return notification


def notifications_of_erased_account_delete(user_id: int) -> None:
    """account.deleted, in its transaction: the person's notifications (what they were
    told, and the address their emails went to) go, and their address leaves this
    process's cache."""
    Notification.objects.filter(user_id=user_id).delete()
    customers.account_email_forget(user_id=user_id)


@transaction.atomic
def notification_mark_read(*, notification_id: int, caller: Caller) -> Notification:
    """The owner has seen it; marking it again changes nothing."""
    notification = visible_or_404(
        Notification.objects.select_for_update().filter(pk=notification_id, in_app=True).first(),
        caller=caller,
        not_found=NotFound(
            f"There is no notification {notification_id}.", code=NotificationErrorCode.UNKNOWN_NOTIFICATION
        ),
    )
    if not caller.owns(notification.user_id):  # staff and services see it, but only its owner reads it
        raise PermissionDenied("Only its owner marks a notification read.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


@transaction.atomic
def notification_email_retry(*, notification_id: int) -> Notification:
    """Staff send a failed (or still waiting) email again: due now, with a fresh count of
    tries, for the sweep (or its next try) to send. A sent one, or one being sent right
    now, is refused: it is not sent twice."""
    notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
    if notification is None:
        raise NotFound(f"There is no notification {notification_id}.", code=NotificationErrorCode.UNKNOWN_NOTIFICATION)
    now = timezone.now()
    if notification.email_state == EmailState.SENT:
        raise Conflict("Its email was sent; it is not sent twice.", code=NotificationErrorCode.EMAIL_SENT)
    if not notification.in_app and notification.email_state == EmailState.FAILED:
        raise Conflict(
            "Its one-time link was not kept once the email was given up: the person asks for a new one.",
            code=NotificationErrorCode.EMAIL_LINK_GONE,
        )
    if notification.email_leased_until is not None and notification.email_leased_until > now:
        raise Conflict("Its email is being sent right now.", code=NotificationErrorCode.EMAIL_BEING_SENT)
    notification.email_state = EmailState.PENDING
    notification.email_attempts = 0
    notification.email_next_attempt_at = now
    notification.email_leased_until = None
    notification.save(
        update_fields=["email_state", "email_attempts", "email_next_attempt_at", "email_leased_until", "updated_at"]
    )
    return notification


def email_backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed try: base, 2x base, 4x base ... up to the maximum."""
    seconds = settings.NOTIFICATION_EMAIL_BACKOFF_SECONDS * 2 ** min(max(attempts - 1, 0), 30)
    return timedelta(seconds=min(seconds, settings.NOTIFICATION_EMAIL_BACKOFF_MAX_SECONDS))


def _emails_take(*, limit: int, notification_ids: list[int] | None = None) -> list[Notification]:
    """Pending emails due now and not being sent by anyone, leased to the caller (on
    PostgreSQL SKIP LOCKED lets several processes sweep at once; on SQLite the
    IMMEDIATE transaction serializes them)."""
    now = timezone.now()
    due = Notification.objects.filter(email_state=EmailState.PENDING, email_next_attempt_at__lte=now).filter(
        Q(email_leased_until__isnull=True) | Q(email_leased_until__lte=now)
    )
    if notification_ids is not None:
        due = due.filter(pk__in=notification_ids)
    # Read first: an idle sweep then takes no write lock (on SQLite every transaction
    # here is a writer's, and the service's requests write too).
    if not due.exists():
        return []
    with transaction.atomic():
        due = due.order_by("email_next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = [notification.pk for notification in due[:limit]]
        if not ids:
            return []
        Notification.objects.filter(pk__in=ids).update(email_leased_until=now + EMAIL_LEASE)
    return list(Notification.objects.filter(pk__in=ids).order_by("id"))


def _email_attempt(notification: Notification) -> bool:
    """One try at sending, its outcome recorded; True if it was sent. A span of its own
    (common.telemetry): a child of the event's request on the fast path, a trace of its
    own from the sweep."""
    attributes = {
        "bookstore.notification.id": notification.pk,
        "bookstore.notification.event_type": notification.event_type,
        "bookstore.email.attempt": notification.email_attempts + 1,
    }
    with telemetry.span("notification email send", attributes=attributes) as span:
        address = notification.email_to
        give_up = False
        try:
            address = address or customers.account_email(user_id=notification.user_id)
            EmailMessage(subject=notification.subject, body=notification.body, to=[address]).send()
            error = ""
        except customers.AccountNotFound:
            error, give_up = f"customer_service has no account {notification.user_id}: no address to send to.", True
        except DependencyError as exc:
            error = exc.message
        except Exception as exc:  # SMTP refusals, a mail server that is down: kept and retried
            error = f"{type(exc).__name__}: {exc}"
        telemetry.set_outcome(span, ok=not error, description=error)
        _email_record(notification, address=address, error=error, give_up=give_up)
    EMAILS.labels("sent" if not error else "failed" if notification.email_state == EmailState.FAILED else "retry").inc()
    return not error


def _email_record(notification: Notification, *, address: str, error: str, give_up: bool) -> None:
    now = timezone.now()
    attempts = notification.email_attempts + 1
    changes = {"email_attempts": attempts, "email_to": address, "email_last_error": error[:2000]}
    changes |= {"email_leased_until": None, "updated_at": now}
    if not error:
        changes |= {"email_state": EmailState.SENT, "email_sent_at": now, "email_next_attempt_at": None}
    elif give_up or attempts >= settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS:
        changes |= {"email_state": EmailState.FAILED, "email_next_attempt_at": None}
        logger.error("notification %s: email given up after %d tries: %s", notification.pk, attempts, error)
    else:
        changes["email_next_attempt_at"] = now + email_backoff(attempts)
        logger.warning("notification %s: email try %d failed, will retry: %s", notification.pk, attempts, error)
    if not notification.in_app and changes.get("email_state") in (EmailState.SENT, EmailState.FAILED):
        changes["body"] = messages.EMAIL_ONLY_BODY_AFTER  # its link is kept no longer than needed
    update_by_key(Notification, notification.pk, changes)  # a statement made once per set of fields
    for field, value in changes.items():
        setattr(notification, field, value)


def notification_emails_send_due(*, limit: int = 50) -> int:
    """One round of the sweep: try every email that is due (new or waiting for a retry);
    returns how many were tried."""
    with telemetry.quiet():  # a sweep that finds nothing due makes no trace; each email has its own span
        taken = _emails_take(limit=limit)
    for notification in taken:
        _email_attempt(notification)
    return len(taken)


def _send_in_background(notification: Notification) -> Future:
    """The fast path: one try right after the event's commit, off the request thread,
    of an email written leased to it. What fails is left to the sweep."""
    return run_in_background(lambda: _email_attempt(notification), what=f"email of notification {notification.pk}")
