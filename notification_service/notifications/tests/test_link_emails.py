"""The account emails with a one-time link (account.verification_requested and
account.password_reset_requested): emailed, never listed in the app, and their link not
kept once the email is sent or given up."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends import locmem

from common.errors import Conflict
from notifications import messages, services
from notifications.models import EmailState, Notification
from notifications.tests.conftest import PAYLOADS

pytestmark = pytest.mark.django_db

LINK_EVENTS = sorted(messages.EMAIL_ONLY)


def refreshed(notification: Notification) -> Notification:
    notification.refresh_from_db()
    return notification


class RefusingBackend(locmem.EmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"thi.no@example.com": (550, b"mailbox unavailable")})


@pytest.mark.parametrize("event_type", LINK_EVENTS)
def test_the_link_is_emailed_to_the_address_the_event_carries_then_not_kept(
    make_notification, mocked_responses, event_type
):
    notification = make_notification(event_type=event_type)
    assert PAYLOADS[event_type]["link"] in notification.body

    assert services.notification_emails_send_due() == 1

    [message] = mail.outbox
    assert message.to == [PAYLOADS[event_type]["email"]]
    assert PAYLOADS[event_type]["link"] in message.body
    assert not mocked_responses.calls  # no address looked up
    notification = refreshed(notification)
    assert notification.email_state == EmailState.SENT
    assert notification.body == messages.EMAIL_ONLY_BODY_AFTER


@pytest.mark.parametrize("event_type", LINK_EVENTS)
def test_it_is_never_listed_counted_or_read_in_the_app(user_client, make_notification, event_type):
    listed = make_notification(user_id=5, event_type="order.created")
    hidden = make_notification(user_id=5, event_type=event_type)
    client = user_client(5)

    body = client.get("/api/notifications/").json()

    assert [n["id"] for n in body["results"]] == [listed.pk]
    assert (body["count"], body["unread_count"]) == (1, 1)
    assert client.post(f"/api/notifications/{hidden.pk}/read/").status_code == 404
    assert refreshed(hidden).read_at is None


def test_given_up_its_link_is_dropped_and_staff_cannot_send_it_again(make_notification, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS = 1
    notification = make_notification(event_type="account.password_reset_requested")

    services.notification_emails_send_due()

    notification = refreshed(notification)
    assert (notification.email_state, notification.body) == (EmailState.FAILED, messages.EMAIL_ONLY_BODY_AFTER)
    with pytest.raises(Conflict) as refused:
        services.notification_email_retry(notification_id=notification.pk)
    assert refused.value.code == "email_link_gone"


def test_a_failed_try_that_will_be_retried_keeps_the_link(make_notification, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    notification = make_notification(event_type="account.password_reset_requested")

    services.notification_emails_send_due()

    notification = refreshed(notification)
    assert notification.email_state == EmailState.PENDING
    assert PAYLOADS["account.password_reset_requested"]["link"] in notification.body


@pytest.mark.parametrize(
    ("language", "event_type", "says"),
    [
        ("en", "account.password_reset_requested", "The link works once, for 1 hour."),
        ("vi", "account.password_reset_requested", "Liên kết chỉ dùng được một lần, trong 1 giờ."),
        ("en", "account.verification_requested", "The link works for 3 days."),
        ("vi", "account.verification_requested", "Liên kết có hiệu lực trong 3 ngày."),
    ],
)
def test_the_email_says_how_long_the_link_works_in_each_language(language, event_type, says):
    _, body = messages.render(event_type=event_type, language=language, payload=PAYLOADS[event_type])

    assert says in body
    assert PAYLOADS[event_type]["link"] in body


@pytest.mark.parametrize(
    ("minutes", "en", "vi"),
    [(1, "1 minute", "1 phút"), (90, "90 minutes", "90 phút"), (60, "1 hour", "1 giờ"), (2880, "2 days", "2 ngày")],
)
def test_durations_read_in_the_largest_whole_unit(minutes, en, vi):
    assert (messages.duration(minutes, "en"), messages.duration(minutes, "vi")) == (en, vi)


def test_the_owner_is_not_shown_it_through_staff_routes_either(make_notification, staff_client):
    hidden = make_notification(user_id=5, event_type="account.verification_requested")

    body = staff_client.get("/api/notifications/", {"user_id": 5}).json()

    assert hidden.pk not in [n["id"] for n in body["results"]]
