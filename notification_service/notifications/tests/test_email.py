"""Sending: the address from customer_service (cached), retries with backoff, giving up."""

import smtplib
from datetime import timedelta

import pytest
import requests
from django.core import mail
from django.core.cache import cache
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.utils import timezone

from notifications import services
from notifications.clients import customers
from notifications.models import EmailState, Notification
from notifications.tests.conftest import account_url

pytestmark = pytest.mark.django_db

ADDRESS = "thi.no@example.com"


def refreshed(notification: Notification) -> Notification:
    notification.refresh_from_db()
    return notification


def test_the_email_goes_to_the_customers_address(make_notification, mocked_responses):
    notification = make_notification(user_id=5)
    lookup = mocked_responses.get(account_url(5), json={"id": 5, "username": "thino", "email": ADDRESS})

    assert services.notification_emails_send_due() == 1

    [message] = mail.outbox
    assert (message.to, message.subject, message.body) == ([ADDRESS], notification.subject, notification.body)
    assert lookup.calls[0].request.headers["Authorization"].startswith("Bearer ")  # the service token
    notification = refreshed(notification)
    assert (notification.email_state, notification.email_attempts, notification.email_to) == ("sent", 1, ADDRESS)
    assert notification.email_sent_at is not None
    assert notification.email_last_error == ""


def test_the_address_is_kept_for_a_while(make_notification, mocked_responses):
    make_notification(user_id=5), make_notification(user_id=5)
    mocked_responses.get(account_url(5), json={"id": 5, "email": ADDRESS})

    assert services.notification_emails_send_due() == 2

    assert len(mocked_responses.calls) == 1
    assert [m.to for m in mail.outbox] == [[ADDRESS], [ADDRESS]]


def test_the_address_is_kept_in_this_process_not_in_the_shared_cache(make_notification, mocked_responses):
    make_notification(user_id=5)
    mocked_responses.get(account_url(5), json={"id": 5, "email": ADDRESS})

    services.notification_emails_send_due()

    assert customers.ADDRESSES.get(customers._cache_key(5)) == ADDRESS
    assert cache.get(customers._cache_key(5)) is None  # CACHES' default: Redis when REDIS_URL is set


def test_an_address_the_event_carried_needs_no_lookup(make_notification, mocked_responses):
    notification = make_notification(event_type="account.created")

    assert services.notification_emails_send_due() == 1
    assert refreshed(notification).email_state == "sent"

    assert not mocked_responses.calls
    assert mail.outbox[0].to == ["thi.no@example.com"]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"body": requests.ConnectionError("refused")}, "customer service is unavailable"),
        ({"body": requests.ReadTimeout("slow")}, "did not answer in time"),
        ({"status": 500, "json": {}}, "failed (500)"),
        ({"status": 403, "json": {}}, "refused to read the account (403)"),
        ({"json": {"id": 5}}, "without a usable email"),
        ({"json": {"id": 5, "email": 42}}, "without a usable email"),
        ({"body": "<html>not json</html>"}, "without a usable email"),
    ],
)
def test_customer_service_down_slow_or_malformed_is_retried_later(make_notification, mocked_responses, answer, error):
    notification = make_notification(user_id=5)
    mocked_responses.get(account_url(5), **answer)
    before = timezone.now()

    assert services.notification_emails_send_due() == 1  # tried once, not sent

    notification = refreshed(notification)
    assert (notification.email_state, notification.email_attempts) == ("pending", 1)
    assert error in notification.email_last_error
    assert notification.email_next_attempt_at >= before + timedelta(seconds=30)
    assert notification.email_leased_until is None
    assert not mail.outbox


def test_an_account_that_does_not_exist_fails_at_once(make_notification, mocked_responses):
    notification = make_notification(user_id=5)
    mocked_responses.get(account_url(5), status=404, json={"error": {"code": "not_found"}})

    services.notification_emails_send_due()

    notification = refreshed(notification)
    assert (notification.email_state, notification.email_attempts) == ("failed", 1)
    assert "no account 5" in notification.email_last_error
    assert notification.email_next_attempt_at is None


class RefusingBackend(locmem.EmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({ADDRESS: (550, b"mailbox unavailable")})


def test_a_refused_email_backs_off_then_is_marked_failed(make_notification, settings, mocked_responses):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    notification = make_notification(user_id=5)
    mocked_responses.get(account_url(5), json={"id": 5, "email": ADDRESS})
    waits = []

    for _ in range(3):  # NOTIFICATION_EMAIL_MAX_ATTEMPTS
        Notification.objects.filter(pk=notification.pk).update(email_next_attempt_at=timezone.now())
        tried_at = timezone.now()
        services.notification_emails_send_due()
        notification = refreshed(notification)
        if notification.email_next_attempt_at:
            waits.append(round((notification.email_next_attempt_at - tried_at).total_seconds()))

    assert waits == [30, 60]
    assert (notification.email_state, notification.email_attempts) == ("failed", 3)
    assert "SMTPRecipientsRefused" in notification.email_last_error


def test_backoff_doubles_up_to_its_limit():
    assert [services.email_backoff(n).total_seconds() for n in (1, 2, 3, 4, 50)] == [30, 60, 100, 100, 100]


def test_the_sweep_sends_what_is_due_and_nothing_else(make_notification, mocked_responses):
    now = timezone.now()
    due = make_notification(user_id=5)
    later = make_notification(user_id=5, email_next_attempt_at=now + timedelta(minutes=5))
    being_sent = make_notification(user_id=5, email_leased_until=now + timedelta(minutes=1))
    failed = make_notification(user_id=5, email_state=EmailState.FAILED, email_next_attempt_at=None)
    sent = make_notification(user_id=5, email_state=EmailState.SENT, email_next_attempt_at=None)
    mocked_responses.get(account_url(5), json={"id": 5, "email": ADDRESS})

    assert services.notification_emails_send_due() == 1

    assert [m.subject for m in mail.outbox] == [due.subject]
    states = {n.pk: n.email_state for n in Notification.objects.all()}
    assert states == {
        due.pk: "sent",
        later.pk: "pending",
        being_sent.pk: "pending",
        failed.pk: "failed",
        sent.pk: "sent",
    }


def test_a_sent_email_is_not_sent_again(make_notification, mocked_responses):
    notification = make_notification(user_id=5)
    mocked_responses.get(account_url(5), json={"id": 5, "email": ADDRESS})

    assert services.notification_emails_send_due() == 1
    Notification.objects.update(email_next_attempt_at=timezone.now())  # even if it looked due again
    assert services.notification_emails_send_due() == 0
    assert refreshed(notification).email_attempts == 1
    assert len(mail.outbox) == 1


def test_the_command_sends_due_emails_once(make_notification, mocked_responses, capsys):
    make_notification(user_id=5)
    mocked_responses.get(account_url(5), json={"id": 5, "email": ADDRESS})

    call_command("send_notifications", "--once")

    assert "tried 1 emails" in capsys.readouterr().out
    assert len(mail.outbox) == 1
