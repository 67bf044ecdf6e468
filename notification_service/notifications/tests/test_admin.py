"""The admin: notifications filtered by event type, email state and user, customers by
username; failed emails sent again through notifications.services."""

from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from notifications.models import EmailState, Notification

NOTIFICATIONS = "/admin/notifications/notification/"
ACCOUNTS = f"{settings.SERVICE_URLS['customer']}/api/accounts/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1234")
    client.force_login(admin)
    return client


def test_the_list_filters_by_event_type_state_and_user(admin_client, make_notification, fake_names):
    fake_names("customer")
    make_notification(user_id=5, event_type="order.created")
    failed = make_notification(user_id=6, email_state=EmailState.FAILED, email_last_error="550 no such mailbox")

    page = admin_client.get("/admin/notifications/notification/")
    by_state = admin_client.get("/admin/notifications/notification/?email_state=failed")
    by_user = admin_client.get("/admin/notifications/notification/?user_id=6")
    by_type = admin_client.get("/admin/notifications/notification/?event_type=order.created")
    bad_user = admin_client.get("/admin/notifications/notification/?user_id=abc")

    assert page.status_code == 200
    assert by_state.context["cl"].result_count == 1
    assert list(by_user.context["cl"].result_list) == [failed]
    assert by_type.context["cl"].result_count == 1
    assert bad_user.context["cl"].result_count == 0
    assert admin_client.get(f"/admin/notifications/notification/{failed.pk}/change/").status_code == 200


def test_send_again_puts_failed_emails_back_in_the_sweep_and_refuses_sent_ones(
    admin_client, make_notification, fake_names
):
    fake_names("customer")
    failed = make_notification(email_state=EmailState.FAILED, email_attempts=3, email_next_attempt_at=None)
    sent = make_notification(email_state=EmailState.SENT, email_attempts=1)
    under_a_try = make_notification(email_leased_until=timezone.now() + timedelta(minutes=1))

    response = admin_client.post(
        NOTIFICATIONS,
        {"action": "send_again", "_selected_action": [failed.pk, sent.pk, under_a_try.pk]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        f"Notification {failed.pk}: its email will be sent again shortly",
        f"Notification {sent.pk}: refused: Its email was sent; it is not sent twice.",
        f"Notification {under_a_try.pk}: refused: Its email is being sent right now.",
    ]
    failed.refresh_from_db()
    assert (failed.email_state, failed.email_attempts) == ("pending", 0)
    assert failed.email_next_attempt_at is not None
    assert Notification.objects.get(pk=sent.pk).email_state == "sent"


@pytest.mark.parametrize("term", ["6", "Payment received", "not-a-uuid-or-id"])
def test_search_by_user_event_id_or_subject_never_fails(admin_client, make_notification, mocked_responses, term):
    mocked_responses.get(ACCOUNTS, json={"count": 0, "results": [], "missing_ids": [6]})
    make_notification(user_id=6)

    page = admin_client.get("/admin/notifications/notification/", {"q": term})

    assert page.status_code == 200
    assert page.context["cl"].result_count == (0 if term.startswith("not") else 1)


def test_search_by_event_id(admin_client, make_notification, fake_names):
    fake_names("customer")
    notification = make_notification(user_id=6)
    make_notification(user_id=7)

    page = admin_client.get("/admin/notifications/notification/", {"q": str(notification.event_id)})

    assert list(page.context["cl"].result_list) == [notification]


def test_the_email_is_sent_again_from_its_page_while_it_is_not_sent(admin_client, make_notification, fake_names):
    fake_names("customer")
    failed = make_notification(email_state=EmailState.FAILED, email_attempts=6, email_next_attempt_at=None)
    sent = make_notification(email_state=EmailState.SENT)

    offered = admin_client.get(f"{NOTIFICATIONS}{failed.pk}/change/").context["object_buttons"]
    none = admin_client.get(f"{NOTIFICATIONS}{sent.pk}/change/").context["object_buttons"]
    pressed = admin_client.post(f"{NOTIFICATIONS}{failed.pk}/button/", {"button": "send_again"}, follow=True)

    assert [button.name for button in offered] == ["send_again"]
    assert none == []
    assert [str(m) for m in pressed.context["messages"]] == [
        f"Notification {failed.pk}: its email will be sent again shortly"
    ]
    failed.refresh_from_db()
    assert (failed.email_state, failed.email_attempts) == ("pending", 0)
    assert admin_client.post(f"{NOTIFICATIONS}{failed.pk}/change/", {"subject": "x"}).status_code == 403
    assert admin_client.get(f"{NOTIFICATIONS}{failed.pk}/delete/").status_code == 403


def test_customers_are_shown_by_username_with_the_filters_choices_in_the_same_call(
    admin_client, make_notification, fake_names
):
    asked = fake_names("customer")
    make_notification(user_id=5)
    make_notification(user_id=6)

    page = admin_client.get(NOTIFICATIONS)

    body = page.content.decode()
    assert "5 · user5" in body
    assert "6 · user6" in body
    assert [sorted(ids) for ids in asked] == [[5, 6]]  # the rows and the user filter: one call


def test_customer_service_down_shows_the_ids_with_a_note(admin_client, make_notification, mocked_responses):
    mocked_responses.get(ACCOUNTS, body=requests.ConnectionError("down"))
    make_notification(user_id=5)

    page = admin_client.get(NOTIFICATIONS)

    assert page.status_code == 200
    assert "5 (customer_service unavailable)" in page.content.decode()
