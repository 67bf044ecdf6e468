"""3.2 status changes: the legal moves, who may make them, history, events, stock back on cancel."""

import pytest
import requests

from common.outbox.models import OutboxDelivery, OutboxEvent
from orders.tests.conftest import RESERVATIONS

pytestmark = pytest.mark.django_db


def patch(client, order_id, status):
    return client.patch(f"/api/orders/{order_id}/", {"status": status}, format="json")


def test_staff_moves_an_order_through_its_life_with_history_and_events(staff_client, make_order):
    order = make_order()

    for status in ("paid", "shipped", "delivered"):
        response = patch(staff_client, order.pk, status)
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == status

    history = response.json()["history"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        ("", "pending"),
        ("pending", "paid"),
        ("paid", "shipped"),
        ("shipped", "delivered"),
    ]
    assert history[-1]["changed_by"] == "staff 9000"
    assert history[-1]["changed_by_user_id"] == 9000
    events = OutboxEvent.objects.filter(event_type="order.status_changed").order_by("created_at")
    assert [e.payload["to_status"] for e in events] == ["paid", "shipped", "delivered"]
    assert all(e.deliveries.get().target == "notification" for e in events)


@pytest.mark.parametrize(
    ("status_now", "to", "allowed"),
    [
        ("pending", "shipped", ["paid", "cancelled"]),
        ("pending", "pending", ["paid", "cancelled"]),
        ("paid", "delivered", ["shipped", "cancelled"]),
        ("shipped", "cancelled", ["delivered"]),
        ("delivered", "cancelled", []),
        ("cancelled", "paid", []),
    ],
)
def test_an_illegal_move_is_409_listing_the_allowed_ones(staff_client, make_order, status_now, to, allowed):
    order = make_order(status=status_now)

    response = patch(staff_client, order.pk, to)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "illegal_status_change"
    assert error["details"] == {"status": status_now, "allowed": allowed}
    assert order.history.count() == 1
    assert not OutboxEvent.objects.exists()


def test_a_customer_cancels_their_pending_order_and_the_stock_is_released(user_client, make_order, mocked_responses):
    order = make_order(user_id=5)
    mocked_responses.delete(f"{RESERVATIONS}{order.reservation_reference}/", status=200, json={})

    response = patch(user_client(5), order.pk, "cancelled")

    assert response.status_code == 200
    assert response.json()["history"][-1]["changed_by"] == "user 5"
    release = OutboxDelivery.objects.get(event__event_type="stock.release")
    assert release.delivered_at is not None
    assert OutboxEvent.objects.get(event_type="order.status_changed").payload["to_status"] == "cancelled"


def test_a_cancel_while_inventory_is_down_stands_and_the_release_waits_in_the_outbox(
    staff_client, make_order, mocked_responses
):
    order = make_order(status="paid")
    mocked_responses.delete(f"{RESERVATIONS}{order.reservation_reference}/", body=requests.ConnectionError("down"))

    response = patch(staff_client, order.pk, "cancelled")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    release = OutboxDelivery.objects.get(event__event_type="stock.release")
    assert (release.attempts, release.delivered_at) == (1, None)
    assert "inventory" in release.last_error


@pytest.mark.parametrize(
    ("status_now", "to"),
    [("pending", "paid"), ("paid", "cancelled"), ("paid", "shipped"), ("pending", "shipped"), ("pending", "delivered")],
)
def test_a_customer_may_do_nothing_but_cancel_a_pending_order(user_client, make_order, status_now, to):
    order = make_order(user_id=5, status=status_now)

    response = patch(user_client(5), order.pk, to)

    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == status_now


def test_someone_elses_order_is_404_as_a_missing_one_and_no_token_401(
    user_client, api_client, staff_client, make_order
):
    order = make_order(user_id=5)
    assert patch(user_client(6), order.pk, "cancelled").status_code == 404
    assert patch(api_client, order.pk, "cancelled").status_code == 401
    assert patch(staff_client, 999999, "paid").status_code == 404
    assert patch(staff_client, 2**64, "paid").status_code == 404
    order.refresh_from_db()
    assert order.status == "pending"


@pytest.mark.parametrize("body", [{}, {"status": "lost"}, {"status": 3}, {"status": ["paid"]}, {"status": None}])
def test_a_bad_status_is_400_naming_it(staff_client, make_order, body):
    order = make_order()
    response = staff_client.patch(f"/api/orders/{order.pk}/", body, format="json")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["details"]
