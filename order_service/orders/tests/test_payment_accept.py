"""GET and POST /api/orders/{id}/payment/: a payment reads the order, then takes it if
pending, once, under the same lock as a cancel and the expiry, so that only one of
them wins."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import PermissionDenied

from common.auth import Caller
from common.outbox.models import OutboxEvent
from orders import services
from orders.models import Order, OrderStatusChange
from orders.tests.conftest import RESERVATIONS

pytestmark = pytest.mark.django_db


def accept(client, order_id, payment_id=7, method="card"):
    return client.post(f"/api/orders/{order_id}/payment/", {"payment_id": payment_id, "method": method}, format="json")


def test_a_card_payment_makes_a_pending_order_paid_and_asking_again_answers_the_same(service_client, make_order):
    order = make_order()
    first = accept(service_client, order.pk)
    again = accept(service_client, order.pk)
    assert first.status_code == again.status_code == 200
    assert (again.json()["status"], again.json()["payment_id"], again.json()["payment_due_at"]) == ("paid", 7, None)
    assert OrderStatusChange.objects.last().changed_by == "service test"  # the caller's token
    assert OutboxEvent.objects.filter(event_type="order.status_changed").count() == 1


def test_cash_on_delivery_confirms_the_order_which_stays_pending_and_may_ship(service_client, staff_client, make_order):
    order = make_order()
    body = accept(service_client, order.pk, method="cod").json()
    assert (body["status"], body["cash_on_delivery"], body["payment_due_at"]) == ("pending", True, None)
    assert not OutboxEvent.objects.filter(event_type="order.status_changed").exists()
    shipped = staff_client.patch(f"/api/orders/{order.pk}/", {"status": "shipped"}, format="json")
    assert shipped.json()["status"] == "shipped"


def test_an_unpaid_card_order_may_not_ship(staff_client, make_order):
    order = make_order()
    response = staff_client.patch(f"/api/orders/{order.pk}/", {"status": "shipped"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["details"]["allowed"] == ["paid", "cancelled"]


@pytest.mark.parametrize("status", ["paid", "shipped", "cancelled"])
def test_an_order_that_is_not_pending_cannot_be_taken(service_client, make_order, status):
    order = make_order(status=status)
    response = accept(service_client, order.pk)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "order_not_payable"
    assert response.json()["error"]["details"]["status"] == status


def test_an_order_taken_by_one_payment_cannot_be_taken_by_another(service_client, make_order):
    order = make_order()
    accept(service_client, order.pk, payment_id=1, method="cod")
    response = accept(service_client, order.pk, payment_id=2)
    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"status": "pending", "payment_id": 1}


def test_the_paying_payment_reads_its_order_after_a_cancel(service_client, staff_client, make_order, mocked_responses):
    # The payment service may ask again after a crash: it learns the order was
    # cancelled since it took it, so it must not capture.
    order = make_order()
    mocked_responses.delete(f"{RESERVATIONS}{order.reservation_reference}/", status=200)
    accept(service_client, order.pk)
    staff_client.patch(f"/api/orders/{order.pk}/", {"status": "cancelled"}, format="json")
    again = accept(service_client, order.pk)
    assert (again.status_code, again.json()["status"]) == (200, "cancelled")


def test_a_cancelled_order_cannot_be_taken_after_the_cancel(service_client, user_client, make_order, mocked_responses):
    order = make_order()
    mocked_responses.delete(f"{RESERVATIONS}{order.reservation_reference}/", status=200)
    assert user_client(5).patch(f"/api/orders/{order.pk}/", {"status": "cancelled"}, format="json").status_code == 200
    assert accept(service_client, order.pk).status_code == 409
    assert Order.objects.get().payment_id is None


def test_only_services_take_orders_and_an_unknown_order_is_404(user_client, staff_client, service_client, make_order):
    order = make_order()
    assert accept(user_client(5), order.pk).status_code == 403
    assert accept(staff_client, order.pk).status_code == 403
    assert accept(service_client, 424242).status_code == 404


@pytest.mark.parametrize(
    "body", [{}, {"payment_id": 1}, {"payment_id": 0, "method": "card"}, {"payment_id": 1, "method": "cash"}]
)
def test_bad_input_is_400(service_client, make_order, body):
    order = make_order()
    assert service_client.post(f"/api/orders/{order.pk}/payment/", body, format="json").status_code == 400


def test_a_cancel_after_the_payment_won_is_a_staff_move_only(service_client, make_order):
    order = make_order()
    accept(service_client, order.pk)
    with pytest.raises(PermissionDenied):
        services.order_status_change(order_id=order.pk, to_status="cancelled", caller=Caller(user_id=5))


def kinds(queries) -> list[str]:
    """The first word of each statement run: the test's transaction makes the service's
    BEGIN and COMMIT a SAVEPOINT and a RELEASE."""
    return [query["sql"].split(None, 1)[0] for query in queries]


@pytest.mark.parametrize(
    ("method", "writes"),
    [
        # Taken and paid in one UPDATE; its history row; order.status_changed (event, delivery).
        ("card", ["UPDATE", "INSERT", "INSERT", "INSERT"]),
        ("cod", ["UPDATE"]),  # taken: nothing else changes
    ],
)
def test_taking_an_order_is_its_locked_read_and_one_update(service_client, make_order, method, writes):
    # Answered as written: without its lines and history, nothing is read again.
    order = make_order()

    with CaptureQueriesContext(connection) as queries:
        assert accept(service_client, order.pk, method=method).status_code == 200

    assert kinds(queries) == ["SAVEPOINT", "SELECT", *writes, "RELEASE"]


def test_asking_again_reads_and_writes_nothing_more(service_client, make_order):
    order = make_order()
    accept(service_client, order.pk)

    with CaptureQueriesContext(connection) as queries:
        assert accept(service_client, order.pk).status_code == 200

    assert kinds(queries) == ["SAVEPOINT", "SELECT", "RELEASE"]


@pytest.mark.parametrize("method", ["card", "cod"])
def test_the_answer_is_what_a_later_read_gives(service_client, staff_client, make_order, method):
    # The order is answered as written, not read back: it must be what a read gives,
    # for the first answer and a replay's, and agree with a customer's read of it.
    order = make_order()

    first = accept(service_client, order.pk, method=method)
    again = accept(service_client, order.pk, method=method)

    assert first.json() == again.json() == service_client.get(f"/api/orders/{order.pk}/payment/").json()
    later = staff_client.get(f"/api/orders/{order.pk}/").json()
    assert first.json() == {field: later[field] for field in first.json()}
    assert (later["payment_id"], later["status"]) == (7, "paid" if method == "card" else "pending")
    assert len(later["lines"]) == 1
    assert [h["to_status"] for h in later["history"]] == (["pending", "paid"] if method == "card" else ["pending"])


def test_a_refused_take_writes_nothing(service_client, make_order):
    order = make_order()
    accept(service_client, order.pk, payment_id=1, method="cod")
    before = Order.objects.get()

    with CaptureQueriesContext(connection) as queries:
        assert accept(service_client, order.pk, payment_id=2).status_code == 409

    assert kinds(queries) == ["SAVEPOINT", "SELECT", "ROLLBACK", "RELEASE"]
    after = Order.objects.get()
    assert (after.status, after.payment_id, after.updated_at) == (before.status, before.payment_id, before.updated_at)


def test_a_payment_reads_the_order_alone_in_one_statement(service_client, staff_client, make_order):
    order = make_order()

    with CaptureQueriesContext(connection) as queries:
        response = service_client.get(f"/api/orders/{order.pk}/payment/")

    assert response.status_code == 200
    assert kinds(queries) == ["SELECT"]  # no lines, no history
    full = staff_client.get(f"/api/orders/{order.pk}/").json()
    expected = ["id", "user_id", "status", "total", "payment_due_at", "payment_id", "cash_on_delivery"]
    assert response.json() == {field: full[field] for field in expected}


def test_only_services_read_an_order_for_a_payment_and_an_unknown_one_is_404(
    user_client, staff_client, service_client, make_order
):
    order = make_order()
    assert user_client(5).get(f"/api/orders/{order.pk}/payment/").status_code == 403
    assert staff_client.get(f"/api/orders/{order.pk}/payment/").status_code == 403
    assert service_client.get("/api/orders/424242/payment/").status_code == 404
