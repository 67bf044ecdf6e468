"""account.deleted: the person's pending orders are cancelled and their stock given back
at once; the other orders stay, by user id only. A deleted or deactivated account's
tokens are refused here from then on."""

import re

import pytest

from common.outbox.models import OutboxDelivery
from common.testing.account_events import hear, token_from_before
from common.testing.plugin import bearer_client
from orders.models import Order, OrderStatus
from orders.tests.conftest import RESERVATIONS

pytestmark = pytest.mark.django_db


def test_a_deleted_account_s_pending_orders_are_cancelled_and_their_stock_released(
    service_client, make_order, mocked_responses, django_capture_on_commit_callbacks
):
    pending, paid, others = make_order(user_id=5), make_order(user_id=5, status=OrderStatus.PAID), make_order(user_id=6)
    released = mocked_responses.delete(re.compile(rf"{RESERVATIONS}order-test-\d+/"), status=204)

    hear(service_client, "account.deleted", 5, django_capture_on_commit_callbacks)

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {pending.pk: "cancelled", paid.pk: "paid", others.pk: "pending"}
    pending.refresh_from_db()
    assert pending.history.last().reason == "account_deleted"
    assert released.call_count == 1  # the pending order's hold, given back after the commit
    release = OutboxDelivery.objects.get(event__event_type="stock.release")
    assert release.delivered_at is not None


def test_a_deleted_account_s_token_is_refused(service_client, make_order, django_capture_on_commit_callbacks):
    make_order(user_id=5, status=OrderStatus.PAID)
    token = token_from_before(5)
    assert bearer_client(token).get("/api/orders/").status_code == 200

    hear(service_client, "account.deleted", 5, django_capture_on_commit_callbacks)

    assert bearer_client(token).get("/api/orders/").status_code == 401
