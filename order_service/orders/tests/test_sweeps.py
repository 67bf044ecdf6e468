"""The sweeps: a checkout that died leaves no held stock behind, and an unpaid order
gives its stock back after ORDER_PAYMENT_MINUTES."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from common.outbox.models import OutboxDelivery, OutboxEvent
from orders import services
from orders.clients import inventory
from orders.models import Order, ReservationIntent
from orders.tests.conftest import RESERVATIONS, cart_body, cart_items_url, cart_url

pytestmark = pytest.mark.django_db

RELEASE_URL = re.compile(rf"{RESERVATIONS}order-[0-9a-f]+/")


def intent(reference: str, *, age_seconds: float) -> ReservationIntent:
    created = timezone.now() - timedelta(seconds=age_seconds)
    return ReservationIntent.objects.create(reference=reference, user_id=5, created_at=created)


def test_an_abandoned_checkout_reservation_is_released_once(mocked_responses, settings):
    settings.CHECKOUT_ABANDONED_SECONDS = 60
    intent("order-old", age_seconds=61)
    intent("order-young", age_seconds=5)  # a checkout still under way
    release = mocked_responses.delete(f"{RESERVATIONS}order-old/", status=200)

    assert services.reservation_intents_abandon() == 1
    assert services.reservation_intents_abandon() == 0

    assert release.call_count == 1
    assert list(ReservationIntent.objects.values_list("reference", flat=True)) == ["order-young"]


def test_with_inventory_down_the_release_waits_in_the_outbox(mocked_responses, settings):
    settings.CHECKOUT_ABANDONED_SECONDS = 60
    intent("order-old", age_seconds=61)
    mocked_responses.delete(f"{RESERVATIONS}order-old/", status=503)

    assert services.reservation_intents_abandon() == 1

    assert not ReservationIntent.objects.exists()
    delivery = OutboxDelivery.objects.get(event__event_type="stock.release")
    assert (delivery.delivered_at, delivery.path) == (None, "/api/warehouse/reservations/order-old/")


def test_a_checkout_whose_intent_was_swept_makes_no_order(user_client, mocked_responses, settings):
    # The checkout is so slow that the sweep released its reservation before the order
    # was saved: the order must not be made, or it would have no stock.
    mocked_responses.get(cart_url(5), json=cart_body(5, [(11, 1, "10.00")]))
    mocked_responses.post(RESERVATIONS, status=201, json={"status": "held"})
    release = mocked_responses.delete(RELEASE_URL, status=200)
    settings.CHECKOUT_ABANDONED_SECONDS = 0

    real_reserve = inventory.stock_reserve

    def reserve_then_sweep(**kwargs):
        real_reserve(**kwargs)
        assert services.reservation_intents_abandon() == 1

    with mock.patch.object(inventory, "stock_reserve", side_effect=reserve_then_sweep):
        response = user_client(5).post("/api/orders/", {"user_id": 5}, format="json")

    assert response.status_code == 503
    assert "took too long" in response.json()["error"]["message"]
    assert not Order.objects.exists()
    assert release.call_count >= 1
    assert not ReservationIntent.objects.exists()


def test_an_unpaid_order_is_cancelled_after_its_time_and_its_stock_released(make_order, mocked_responses):
    order = make_order()
    Order.objects.filter(pk=order.pk).update(payment_due_at=timezone.now() - timedelta(seconds=1))
    fresh = make_order()
    Order.objects.filter(pk=fresh.pk).update(payment_due_at=timezone.now() + timedelta(minutes=5))
    release = mocked_responses.delete(f"{RESERVATIONS}{order.reservation_reference}/", status=200)

    assert services.orders_expire_unpaid() == 1
    assert services.orders_expire_unpaid() == 0

    order.refresh_from_db()
    assert order.status == "cancelled"
    last = order.history.last()
    assert (last.from_status, last.to_status, last.changed_by, last.reason) == (
        "pending",
        "cancelled",
        "service order",
        "payment_expired",
    )
    assert release.call_count == 1
    event = OutboxEvent.objects.get(event_type="order.status_changed")
    assert event.payload["reason"] == "payment_expired"
    assert Order.objects.get(pk=fresh.pk).status == "pending"


def test_an_order_a_payment_took_never_expires(make_order, service_client):
    order = make_order()
    Order.objects.filter(pk=order.pk).update(payment_due_at=timezone.now() - timedelta(seconds=1))
    cod = service_client.post(f"/api/orders/{order.pk}/payment/", {"payment_id": 1, "method": "cod"}, format="json")
    assert cod.status_code == 200
    assert services.orders_expire_unpaid() == 0
    assert Order.objects.get().status == "pending"


def test_a_new_order_is_due_after_the_configured_minutes(user_client, mocked_responses, settings):
    settings.ORDER_PAYMENT_MINUTES = 2
    mocked_responses.get(cart_url(5), json=cart_body(5, [(11, 1, "10.00")]))
    mocked_responses.post(RESERVATIONS, status=201, json={"status": "held"})
    mocked_responses.post(re.compile(rf"{RESERVATIONS}.*/confirm/"), json={"status": "held"})
    mocked_responses.delete(cart_items_url(5), status=204)
    before = timezone.now()

    response = user_client(5).post("/api/orders/", {"user_id": 5}, format="json")

    due = Order.objects.get().payment_due_at
    assert before + timedelta(minutes=2) <= due <= timezone.now() + timedelta(minutes=2)
    assert response.json()["payment_due_at"] is not None
