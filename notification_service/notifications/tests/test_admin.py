"""The admin: notifications filtered by event type, email state and user; failed emails sent again."""

import pytest
from django.contrib.auth import get_user_model

from notifications.models import EmailState, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-1234")
    client.force_login(admin)
    return client


def test_the_list_filters_by_event_type_state_and_user(admin_client, make_notification):
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


def test_send_again_puts_failed_emails_back_in_the_sweep(admin_client, make_notification):
    failed = make_notification(email_state=EmailState.FAILED, email_attempts=3, email_next_attempt_at=None)
    sent = make_notification(email_state=EmailState.SENT, email_attempts=1)

    admin_client.post(
        "/admin/notifications/notification/",
        {"action": "send_again", "_selected_action": [failed.pk, sent.pk]},
    )

    failed.refresh_from_db()
    assert (failed.email_state, failed.email_attempts) == ("pending", 0)
    assert failed.email_next_attempt_at is not None
    assert Notification.objects.get(pk=sent.pk).email_state == "sent"


@pytest.mark.parametrize("term", ["6", "Payment received", "not-a-uuid-or-id"])
def test_search_by_user_event_id_or_subject_never_fails(admin_client, make_notification, term):
    make_notification(user_id=6)

    page = admin_client.get("/admin/notifications/notification/", {"q": term})

    assert page.status_code == 200
    assert page.context["cl"].result_count == (0 if term.startswith("not") else 1)


def test_search_by_event_id(admin_client, make_notification):
    notification = make_notification(user_id=6)
    make_notification(user_id=7)

    page = admin_client.get("/admin/notifications/notification/", {"q": str(notification.event_id)})

    assert list(page.context["cl"].result_list) == [notification]
