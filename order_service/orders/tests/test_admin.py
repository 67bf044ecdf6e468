"""The admin: orders filtered by status, with lines and history inline, read-only."""

import pytest

pytestmark = pytest.mark.django_db


def test_orders_are_listed_filtered_by_status_and_shown_with_lines_and_history(admin_client, make_order):
    pending = make_order(user_id=5)
    paid = make_order(user_id=6, status="paid")

    listed = admin_client.get("/admin/orders/order/", {"status__exact": "paid"})
    assert listed.status_code == 200
    shown = [order.pk for order in listed.context["cl"].result_list]
    assert shown == [paid.pk]

    page = admin_client.get(f"/admin/orders/order/{pending.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Book 1" in body  # the line
    assert "Order status changes" in body  # the history inline
    assert 'name="status"' not in body  # status changes go through the API


def test_the_outbox_is_in_the_admin(admin_client):
    assert admin_client.get("/admin/outbox/outboxdelivery/", {"delivered_at__isempty": "1"}).status_code == 200
    assert admin_client.get("/admin/outbox/outboxevent/").status_code == 200
