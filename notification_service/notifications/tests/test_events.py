"""POST /api/events/: each event makes one notification, whatever its delivery count."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from common.events import payload_of
from common.outbox.models import ProcessedEvent
from notifications import services
from notifications.models import EmailState, Notification
from notifications.tests.conftest import PAYLOADS, account_url, envelope

pytestmark = pytest.mark.django_db

SUBJECTS = {
    "order.created": "Order #12 placed",
    "order.status_changed": "Order #12 is shipped",
    "payment.succeeded": "Payment received for order #12",
    "payment.failed": "Payment for order #12 failed",
    "payment.refunded": "Refund for order #12",
    "account.created": "Welcome to the bookstore",
    "customer.created": "Your customer profile is ready",
}


@pytest.mark.parametrize("event_type", sorted(SUBJECTS))
def test_each_event_type_makes_a_pending_notification_for_its_customer(service_client, event_type):
    event = envelope(event_type, PAYLOADS[event_type])

    response = service_client.post("/api/events/", event, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {"id": event["id"], "status": "processed"}
    notification = Notification.objects.get()
    assert (notification.user_id, notification.event_type, str(notification.event_id)) == (5, event_type, event["id"])
    assert notification.subject == SUBJECTS[event_type]
    assert (notification.language, notification.email_state, notification.email_attempts) == ("en", "pending", 0)
    assert notification.email_next_attempt_at is not None
    assert notification.read_at is None


def test_the_body_says_what_happened(service_client):
    service_client.post("/api/events/", envelope("order.created", PAYLOADS["order.created"]), format="json")
    service_client.post("/api/events/", envelope("payment.failed", PAYLOADS["payment.failed"]), format="json")

    created, failed = Notification.objects.order_by("id")
    assert "2 x Chí Phèo: 60.50" in created.body
    assert "1 x #4: 0.00" in created.body  # a line whose title was unknown at checkout
    assert "Total: 60.50" in created.body
    assert "The card has insufficient funds." in failed.body
    assert "60.50 by card" in failed.body


def test_vietnamese_when_the_setting_says_so(service_client, settings):
    settings.NOTIFICATION_LANGUAGE = "vi"

    service_client.post("/api/events/", envelope("payment.succeeded", PAYLOADS["payment.succeeded"]), format="json")

    notification = Notification.objects.get()
    assert notification.language == "vi"
    assert notification.subject == "Đã nhận thanh toán cho đơn hàng #12"
    assert "60.50 bằng thẻ" in notification.body


def test_account_created_keeps_the_address_it_carries(service_client):
    service_client.post("/api/events/", envelope("account.created", PAYLOADS["account.created"]), format="json")

    assert Notification.objects.get().email_to == "thi.no@example.com"


def test_an_event_seen_before_is_acknowledged_and_makes_nothing(service_client):
    event = envelope("order.created", PAYLOADS["order.created"])

    first = service_client.post("/api/events/", event, format="json")
    again = service_client.post("/api/events/", event, format="json")

    assert (first.json()["status"], again.json()["status"]) == ("processed", "duplicate")
    assert Notification.objects.count() == 1


def test_the_same_event_id_never_makes_two_notifications_even_unmarked(service_client):
    """The notification's own unique event id holds even if the processed mark were lost."""
    event_id = uuid.uuid4()
    service_client.post("/api/events/", envelope("order.created", PAYLOADS["order.created"], event_id=event_id))
    ProcessedEvent.objects.all().delete()

    again = service_client.post("/api/events/", envelope("order.created", PAYLOADS["order.created"], event_id=event_id))

    assert again.json()["status"] == "processed"
    assert Notification.objects.count() == 1


def create_from(event_id: uuid.UUID, event_type: str = "order.created") -> Notification | None:
    payload = payload_of(event_type, PAYLOADS[event_type])
    return services.notification_create_from_event(event_id=event_id, event_type=event_type, payload=payload)


def test_an_event_s_notification_is_two_statements_in_the_consumer_s_transaction(django_assert_num_queries):
    """Whether the account is deleted, then one INSERT ... ON CONFLICT: no read before
    it, and no savepoint of its own or around the insert."""
    with transaction.atomic(), django_assert_num_queries(2) as captured:  # the atomic: consume_once's
        made = create_from(uuid.uuid4())

    assert made is not None
    assert Notification.objects.get().pk == made.pk
    assert [query["sql"].split()[0] for query in captured.captured_queries] == ["SELECT", "INSERT"]


def test_a_second_delivery_to_the_handler_returns_the_first_notification_and_sends_nothing(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_SEND_AT_ONCE = True
    tried = []
    monkeypatch.setattr(services, "run_in_background", lambda task, what: tried.append(what))
    event_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        first = create_from(event_id)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = create_from(event_id)

    assert first is not None
    assert again is not None
    assert (again.pk, again.subject, again.email_leased_until) == (first.pk, first.subject, first.email_leased_until)
    assert (callbacks, len(tried), Notification.objects.count()) == ([], 1, 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="the SQLite test database is in shared-cache memory, which locks by table"
)
def test_a_concurrent_delivery_waits_for_the_first_and_returns_its_notification(settings, monkeypatch):
    """Two deliveries of one event handled at once (its processed mark aside): the
    second's insert waits for the first's transaction, then finds its row."""
    settings.NOTIFICATION_SEND_AT_ONCE = True
    tried = []
    monkeypatch.setattr(services, "run_in_background", lambda task, what: tried.append(what))
    event_id = uuid.uuid4()
    first_inserted, second = threading.Event(), []

    def second_delivery():
        first_inserted.wait(10)
        second.append(create_from(event_id))
        connection.close()

    other = threading.Thread(target=second_delivery)
    other.start()
    with transaction.atomic():
        first = create_from(event_id)
        first_inserted.set()
        other.join(0.5)
        assert other.is_alive()  # waiting on the first's uncommitted row
    other.join(10)

    assert first is not None
    assert [notification.pk for notification in second] == [first.pk]
    assert (Notification.objects.count(), len(tried)) == (1, 1)


def test_an_unknown_event_type_is_acknowledged_and_ignored(service_client):
    response = service_client.post("/api/events/", envelope("cart.cleared", {"user_id": 5}), format="json")

    assert response.json()["status"] == "ignored"
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("event_type", "change", "field"),
    [
        ("order.created", {"user_id": None}, "user_id"),
        ("order.created", {"user_id": "five"}, "user_id"),
        ("order.created", {"user_id": 2**70}, "user_id"),
        ("order.created", {"lines": "many"}, "lines"),
        ("order.created", {"total": 1e300}, "total"),
        ("order.status_changed", {"to_status": ["paid"]}, "to_status"),
        ("payment.succeeded", {"amount": "lots"}, "amount"),
        ("account.created", {"email": "not an address"}, "email"),
        ("customer.created", {"customer_id": 0}, "customer_id"),
    ],
)
def test_a_malformed_payload_is_400_naming_the_field_and_not_marked_seen(service_client, event_type, change, field):
    event = envelope(event_type, {**PAYLOADS[event_type], **change})

    response = service_client.post("/api/events/", event, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not ProcessedEvent.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        '{"id": "x", "type": "order.created", "payload": {}}',
        '{"id": "6f1c8e0e-4a8e-4c51-9a57-7e2b8f4f0b11", "type": "order.created", "payload": []}',
    ],
)
def test_a_malformed_envelope_is_400(service_client, body):
    response = service_client.post("/api/events/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"parse_error", "validation_error"}


def test_only_services_post_events(user_client, staff_client, api_client):
    event = envelope("order.created", PAYLOADS["order.created"])

    assert user_client(5).post("/api/events/", event, format="json").status_code == 403
    assert staff_client.post("/api/events/", event, format="json").status_code == 403
    assert api_client.post("/api/events/", event, format="json").status_code == 401
    assert not Notification.objects.exists()


def test_the_email_is_tried_right_after_the_event_is_stored(
    service_client, settings, mocked_responses, django_capture_on_commit_callbacks, monkeypatch
):
    settings.NOTIFICATION_SEND_AT_ONCE = True
    # The background thread's work, run in the test's thread (it would race the test database).
    monkeypatch.setattr(services, "run_in_background", lambda task, what: task())
    mocked_responses.get(account_url(5), json={"id": 5, "email": "thi.no@example.com"})

    with django_capture_on_commit_callbacks(execute=True):
        response = service_client.post("/api/events/", envelope("order.created", PAYLOADS["order.created"]))

    assert response.json()["status"] == "processed"
    assert [(m.to, m.subject) for m in mail.outbox] == [(["thi.no@example.com"], "Order #12 placed")]
    assert Notification.objects.get().email_state == EmailState.SENT


def test_an_email_left_by_its_first_try_is_sent_by_the_sweep_once_its_lease_ends(
    service_client, settings, mocked_responses, django_capture_on_commit_callbacks, monkeypatch
):
    settings.NOTIFICATION_SEND_AT_ONCE = True
    monkeypatch.setattr(services, "run_in_background", lambda task, what: None)  # the process died before the try
    mocked_responses.get(account_url(5), json={"id": 5, "email": "thi.no@example.com"})
    with django_capture_on_commit_callbacks(execute=True):
        service_client.post("/api/events/", envelope("order.created", PAYLOADS["order.created"]))

    assert services.notification_emails_send_due() == 0  # still leased to the first try
    Notification.objects.update(email_leased_until=timezone.now() - timedelta(seconds=1))
    assert services.notification_emails_send_due() == 1
    assert [m.to for m in mail.outbox] == [["thi.no@example.com"]]


def test_a_mail_server_that_is_down_does_not_refuse_the_event(
    service_client, settings, mocked_responses, django_capture_on_commit_callbacks, monkeypatch
):
    settings.NOTIFICATION_SEND_AT_ONCE = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1  # nothing listens there
    monkeypatch.setattr(services, "run_in_background", lambda task, what: task())
    mocked_responses.get(account_url(5), json={"id": 5, "email": "thi.no@example.com"})

    with django_capture_on_commit_callbacks(execute=True):
        response = service_client.post("/api/events/", envelope("order.created", PAYLOADS["order.created"]))

    assert response.status_code == 200
    notification = Notification.objects.get()
    assert (notification.email_state, notification.email_attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in notification.email_last_error
