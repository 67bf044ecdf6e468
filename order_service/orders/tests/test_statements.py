"""The rows checkout and status changes write and delete through statements made once
per process (common.statements.insert and fields_save,
checkout._row_delete) rather than by the ORM on each call: each is stored and
read back as the ORM would have it."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.outbox.models import OutboxEvent
from common.statements import fields_save, insert
from orders.models import CheckoutLock, Order, OrderLine, OrderStatusChange, ReservationIntent
from orders.services.checkout import _row_delete

pytestmark = pytest.mark.django_db


def test_a_row_is_deleted_by_its_key_alone_in_one_statement():
    now = timezone.now()
    for reference in ("order-a", "order-b"):
        ReservationIntent.objects.create(reference=reference, user_id=5, created_at=now)
    for user_id in (5, 6):
        CheckoutLock.objects.create(user_id=user_id, acquired_at=now)

    with CaptureQueriesContext(connection) as queries:
        deleted = (_row_delete(ReservationIntent, "order-a"), _row_delete(CheckoutLock, 5))

    assert deleted == (1, 1)
    assert [query["sql"].split(None, 1)[0] for query in queries] == ["DELETE", "DELETE"]
    assert list(ReservationIntent.objects.values_list("reference", flat=True)) == ["order-b"]
    assert list(CheckoutLock.objects.values_list("user_id", flat=True)) == [6]
    assert (_row_delete(ReservationIntent, "order-a"), _row_delete(CheckoutLock, 5)) == (0, 0)


def test_inserted_rows_read_back_as_the_orm_creates_them():
    due = timezone.now()
    made = Order.objects.create(user_id=5, total=Decimal("20.00"), reservation_reference="order-1", payment_due_at=due)
    written = Order(user_id=5, total=Decimal("20.00"), reservation_reference="order-2", payment_due_at=due)
    insert([written])
    lines = [
        OrderLine(order=written, product_id=p, title="Số đỏ", unit_price=Decimal("10.50"), quantity=2, line_total=21)
        for p in (1, 2)
    ]
    insert(lines)
    change = OrderStatusChange(order=written, to_status="pending", changed_by="user 5")
    insert([change])

    read = Order.objects.get(pk=written.pk)
    assert model_to_dict(read, exclude=["id", "reservation_reference"]) == model_to_dict(
        made, exclude=["id", "reservation_reference"]
    )
    assert (read.created_at, read.updated_at) == (written.created_at, written.updated_at)
    assert not written._state.adding  # a stored row to Django: save() updates it
    written.status = "paid"
    written.save(update_fields=["status"])
    assert Order.objects.get(pk=written.pk).status == "paid"
    assert [model_to_dict(line) for line in OrderLine.objects.filter(order=written)] == [
        model_to_dict(line) for line in lines
    ]
    assert model_to_dict(OrderStatusChange.objects.get(pk=change.pk)) == model_to_dict(change)
    assert OrderStatusChange.objects.get(pk=change.pk).changed_at == change.changed_at


def test_a_status_change_is_stored_as_its_event_tells_it(service_client, make_order):
    order = make_order()
    service_client.post(f"/api/orders/{order.pk}/payment/", {"payment_id": 7, "method": "card"}, format="json")

    change = OrderStatusChange.objects.filter(order=order).last()
    event = OutboxEvent.objects.get(event_type="order.status_changed").payload
    assert (change.from_status, change.to_status, change.changed_by) == ("pending", "paid", "service test")
    assert change.changed_at.isoformat() == event["changed_at"]


def test_an_orders_fields_are_updated_as_save_updates_them(make_order):
    written, saved = make_order(), make_order()
    fields = ("status", "payment_id", "payment_due_at", "cash_on_delivery", "updated_at")
    for order in (written, saved):
        order.status, order.payment_id, order.payment_due_at, order.cash_on_delivery = "paid", 7, None, True
        order.total = Decimal("99.00")  # changed on the instance, but not among the fields saved
    before = written.updated_at

    with CaptureQueriesContext(connection) as queries:
        fields_save(written, fields)
    saved.save(update_fields=list(fields))

    assert [query["sql"].split(None, 1)[0] for query in queries] == ["UPDATE"]
    assert written.updated_at > before  # auto_now, on the instance as save() sets it
    with connection.cursor() as cursor:  # as stored, before any conversion on the way back
        cursor.execute(
            "SELECT status, payment_id, payment_due_at, cash_on_delivery, total FROM orders_order WHERE id IN (%s, %s)",
            [written.pk, saved.pk],
        )
        assert cursor.fetchone() == cursor.fetchone()
    assert Order.objects.get(pk=written.pk).updated_at == written.updated_at
    assert Order.objects.get(pk=written.pk).total == Decimal("20.00")


def test_updating_an_order_that_is_not_there_fails_as_save_does(make_order):
    order = make_order()
    Order.objects.filter(pk=order.pk).delete()
    with pytest.raises(DatabaseError):
        fields_save(order, ("status",))
