"""The admin: orders moved through orders.services (actions and buttons), with the same
history, events and stock release as PATCH /api/orders/{id}/; records nothing edits by
hand; customers by username from one call per page; a bounded page whatever its size."""

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from common.outbox.models import OutboxDelivery, OutboxEvent
from common.testing.pages import queries_of_get
from orders.models import Order, OrderStatus
from orders.tests.conftest import RESERVATIONS

pytestmark = pytest.mark.django_db

ORDERS = "/admin/orders/order/"
ACCOUNTS = f"{settings.SERVICE_URLS['customer']}/api/accounts/"


def act(admin_client, action, *orders):
    return admin_client.post(ORDERS, {"action": action, "_selected_action": [o.pk for o in orders]}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def outbox_rows() -> list[tuple]:
    """What the outbox holds, without ids and times: each event's type, payload keys and
    deliveries (a stock release is a call to inventory)."""
    return sorted(
        (
            event.event_type,
            event.kind,
            tuple(sorted(event.payload)),
            tuple(
                sorted(
                    (d.target, d.method, d.path.replace(event.key.split(":")[-1], "<key>"))
                    for d in event.deliveries.all()
                )
            ),
        )
        for event in OutboxEvent.objects.prefetch_related("deliveries")
    )


def test_orders_are_listed_filtered_by_status_and_shown_with_lines_and_history(admin_client, make_order, fake_names):
    fake_names("customer")
    pending = make_order(user_id=5)
    paid = make_order(user_id=6, status="paid")

    listed = admin_client.get(ORDERS, {"status__exact": "paid"})
    assert listed.status_code == 200
    assert [order.pk for order in listed.context["cl"].result_list] == [paid.pk]
    assert "6 · user6" in listed.content.decode()

    page = admin_client.get(f"{ORDERS}{pending.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Book 1" in body  # the line
    assert "Order status changes" in body  # the history inline
    assert "5 · user5" in body
    assert 'name="status"' not in body  # no field to edit: moves are buttons
    assert 'name="_save"' not in body


def test_orders_filter_by_date(admin_client, make_order, fake_names):
    fake_names("customer")
    make_order()
    year = timezone.now().year

    this_year = admin_client.get(ORDERS, {"created_at__year": year})
    last_year = admin_client.get(ORDERS, {"created_at__year": year - 1})

    assert (this_year.context["cl"].result_count, last_year.context["cl"].result_count) == (1, 0)


def test_shipping_from_the_list_is_the_apis_move_with_its_history_and_event(
    admin_client, staff_client, make_order, fake_names
):
    fake_names("customer")  # the list shown after the action
    by_admin, by_api = make_order(status="paid"), make_order(status="paid")

    response = act(admin_client, "ship", by_admin)
    assert staff_client.patch(f"/api/orders/{by_api.pk}/", {"status": "shipped"}, format="json").status_code == 200

    assert messages_of(response) == [f"Order {by_admin.pk}: paid → shipped"]
    by_admin.refresh_from_db()
    assert by_admin.status == "shipped"
    change = by_admin.history.last()
    assert (change.from_status, change.to_status, change.changed_by) == ("paid", "shipped", "admin admin")
    events = {e.payload["order_id"]: e for e in OutboxEvent.objects.filter(event_type="order.status_changed")}
    admin_event, api_event = events[by_admin.pk].payload, events[by_api.pk].payload
    assert admin_event.keys() == api_event.keys()
    assert {k: v for k, v in admin_event.items() if k not in ("order_id", "changed_at", "changed_by")} == {
        k: v for k, v in api_event.items() if k not in ("order_id", "changed_at", "changed_by")
    }
    assert admin_event["changed_by"] == "admin admin"


def test_cancelling_from_the_list_releases_the_stock_as_the_api_does(
    admin_client, staff_client, make_order, mocked_responses, fake_names
):
    fake_names("customer")
    by_admin, by_api = make_order(status="paid"), make_order(status="paid")
    for order in (by_admin, by_api):
        mocked_responses.delete(f"{RESERVATIONS}{order.reservation_reference}/", status=200, json={})

    act(admin_client, "cancel", by_admin)
    admin_rows = outbox_rows()
    OutboxEvent.objects.all().delete()
    staff_client.patch(f"/api/orders/{by_api.pk}/", {"status": "cancelled"}, format="json")

    assert admin_rows == outbox_rows()
    assert {e for (e, *_) in admin_rows} == {"order.status_changed", "stock.release"}
    release = OutboxDelivery.objects.get(event__event_type="stock.release")
    assert release.delivered_at is not None  # made at once, after the move's commit
    assert Order.objects.get(pk=by_admin.pk).status == "cancelled"


def test_a_refused_move_is_a_message_per_order_and_changes_nothing(admin_client, make_order, fake_names):
    fake_names("customer")  # the list shown after the action
    paid, delivered = make_order(status="paid"), make_order(status="delivered")

    response = act(admin_client, "mark_delivered", paid, delivered)

    assert messages_of(response) == [
        f"Order {paid.pk}: refused: An order that is paid cannot become delivered; allowed: shipped, cancelled.",
        f"Order {delivered.pk}: refused: An order that is delivered cannot become delivered; allowed: none.",
    ]
    assert list(Order.objects.order_by("id").values_list("status", flat=True)) == ["paid", "delivered"]
    assert not OutboxEvent.objects.exists()
    assert paid.history.count() == 1


def test_some_moved_some_refused_each_says_so(admin_client, make_order, fake_names):
    fake_names("customer")  # the list shown after the action
    paid, pending = make_order(status="paid"), make_order(status="pending")

    response = act(admin_client, "ship", paid, pending)

    assert messages_of(response) == [
        f"Order {paid.pk}: paid → shipped",
        f"Order {pending.pk}: refused: An order that is pending cannot become shipped; allowed: paid, cancelled.",
    ]


@pytest.mark.parametrize(
    ("status", "cash", "buttons"),
    [
        ("pending", False, ["paid", "cancelled"]),
        ("pending", True, ["shipped", "cancelled"]),
        ("paid", False, ["shipped", "cancelled"]),
        ("shipped", False, ["delivered"]),
        ("delivered", False, []),
        ("cancelled", False, []),
    ],
)
def test_the_order_page_offers_only_the_moves_the_state_machine_allows(
    admin_client, make_order, fake_names, status, cash, buttons
):
    fake_names("customer")
    order = make_order(status=status)
    Order.objects.filter(pk=order.pk).update(cash_on_delivery=cash)

    page = admin_client.get(f"{ORDERS}{order.pk}/change/")

    assert [button.name for button in page.context["object_buttons"]] == buttons
    for name in buttons:
        assert f'name="button" value="{name}"' in page.content.decode()


def test_a_button_moves_the_order_and_a_stale_one_is_refused_with_the_reason(admin_client, make_order, fake_names):
    fake_names("customer")
    order = make_order(status="paid")
    button = f"{ORDERS}{order.pk}/button/"

    shipped = admin_client.post(button, {"button": "shipped"}, follow=True)
    again = admin_client.post(button, {"button": "shipped"}, follow=True)  # the same page, clicked twice

    assert messages_of(shipped) == [f"Order {order.pk}: paid → shipped"]
    assert messages_of(again) == [
        f"Order {order.pk}: refused: An order that is shipped cannot become shipped; allowed: delivered."
    ]
    assert order.history.count() == 2
    assert OutboxEvent.objects.filter(event_type="order.status_changed").count() == 1
    assert admin_client.get(button).status_code == 405
    unknown = admin_client.post(button, {"button": "lost"}, follow=True)
    assert messages_of(unknown) == ["There is no button 'lost' here."]


def test_nothing_is_added_deleted_or_edited_by_hand(admin_client, make_order, fake_names):
    fake_names("customer")
    order = make_order()

    assert admin_client.get(f"{ORDERS}add/").status_code == 403
    assert admin_client.post(f"{ORDERS}{order.pk}/change/", {"status": "delivered"}).status_code == 403
    assert admin_client.get(f"{ORDERS}{order.pk}/delete/").status_code == 403
    page = admin_client.get(f"{ORDERS}{order.pk}/change/")
    assert not any(inline.has_add_permission for inline in page.context["inline_admin_formsets"])
    assert "Add order" not in admin_client.get(ORDERS).content.decode()
    assert admin_client.get("/admin/orders/reservationintent/add/").status_code == 403
    assert Order.objects.get(pk=order.pk).status == "pending"


def test_customer_service_down_shows_the_ids_with_a_note(admin_client, make_order, mocked_responses):
    mocked_responses.get(ACCOUNTS, body=requests.ConnectionError("down"))
    order = make_order(user_id=5)

    listed = admin_client.get(ORDERS)
    page = admin_client.get(f"{ORDERS}{order.pk}/change/")

    for response in (listed, page):
        assert response.status_code == 200
        assert "5 (customer_service unavailable)" in response.content.decode()
        assert messages_of(response) == [
            "customer_service is unavailable: accounts are shown by id only. Reload to try again."
        ]


def test_the_list_makes_as_many_queries_and_one_call_for_10_or_100_orders(admin_client, make_order, fake_names):
    asked = fake_names("customer")
    for user_id in range(1, 11):
        make_order(user_id=user_id)
    admin_client.get(ORDERS)  # the session, the content types: read once

    asked.clear()
    ten = queries_of_get(admin_client, ORDERS)
    assert [len(ids) for ids in asked] == [10]
    for user_id in range(11, 101):
        make_order(user_id=user_id)
    asked.clear()
    hundred = queries_of_get(admin_client, ORDERS)

    assert hundred == ten <= 10, (ten, hundred)
    assert [len(ids) for ids in asked] == [100]


def test_the_outbox_is_in_the_admin(admin_client):
    assert admin_client.get("/admin/outbox/outboxdelivery/", {"delivered_at__isempty": "1"}).status_code == 200
    assert admin_client.get("/admin/outbox/outboxevent/").status_code == 200
    assert OrderStatus.PAID  # the statuses the actions move to
