"""POST /api/events/: payment.refunded cancels an order and gives its stock back, each
event id once."""

import uuid

import pytest
from django.utils import timezone

from common.outbox.models import OutboxEvent, ProcessedEvent
from orders.tests.conftest import RESERVATIONS

pytestmark = pytest.mark.django_db


def envelope(order_id, event_type="payment.refunded", event_id=None):
    return {
        "id": str(event_id or uuid.uuid4()),
        "type": event_type,
        "source": "payment",
        "occurred_at": timezone.now().isoformat(),  # older than PROCESSED_EVENTS_KEEP_DAYS is refused
        "payload": {
            "order_id": order_id,
            "payment_id": 3,
            "user_id": 5,
            "amount": "20.00",
            "method": "card",
            "status": "refunded",
            "refunded_at": "2026-01-01T00:00:00Z",
        },
    }


def test_payment_succeeded_is_not_this_services_business_any_more(service_client, make_order):
    # A payment takes its order synchronously (POST /api/orders/{id}/payment/); an old
    # payment.succeeded still in some outbox is acknowledged and changes nothing.
    order = make_order()
    response = service_client.post("/api/events/", envelope(order.pk, "payment.succeeded"), format="json")
    assert response.json()["status"] == "ignored"
    order.refresh_from_db()
    assert order.status == "pending"


def test_a_refund_of_an_unknown_order_is_acknowledged(service_client):
    assert service_client.post("/api/events/", envelope(424242), format="json").json()["status"] == "processed"


@pytest.mark.parametrize("payload", [{}, {"order_id": "x"}, {"order_id": 2**70}])
def test_a_malformed_payload_is_400_and_not_marked_seen(service_client, payload):
    event = {**envelope(1), "payload": payload}
    response = service_client.post("/api/events/", event, format="json")
    assert response.status_code == 400
    assert not ProcessedEvent.objects.exists()


def test_only_services_post_events(user_client, staff_client, api_client, make_order):
    order = make_order()
    assert user_client(5).post("/api/events/", envelope(order.pk), format="json").status_code == 403
    assert staff_client.post("/api/events/", envelope(order.pk), format="json").status_code == 403
    assert api_client.post("/api/events/", envelope(order.pk), format="json").status_code == 401


@pytest.mark.parametrize("status", ["pending", "paid"])
def test_payment_refunded_cancels_the_order_and_releases_its_stock_once(
    service_client, make_order, mocked_responses, django_capture_on_commit_callbacks, status
):
    order = make_order(status=status)
    release = mocked_responses.delete(f"{RESERVATIONS}{order.reservation_reference}/", status=204)
    event = envelope(order.pk, "payment.refunded")

    with django_capture_on_commit_callbacks(execute=True):  # the release is made after the commit
        first = service_client.post("/api/events/", event, format="json")
        again = service_client.post("/api/events/", event, format="json")

    assert (first.json()["status"], again.json()["status"]) == ("processed", "duplicate")
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert (order.history.last().changed_by, order.history.last().reason) == ("service payment", "refunded")
    assert release.call_count == 1
    assert OutboxEvent.objects.filter(event_type="order.status_changed").count() == 1


@pytest.mark.parametrize("status", ["shipped", "delivered", "cancelled"])
def test_payment_refunded_leaves_an_order_past_paid_as_it_is(service_client, make_order, status):
    order = make_order(status=status)
    response = service_client.post("/api/events/", envelope(order.pk, "payment.refunded"), format="json")
    assert response.json()["status"] == "processed"
    order.refresh_from_db()
    assert order.status == status
