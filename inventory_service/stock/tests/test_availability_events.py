"""stock.availability_changed: book_service keeps each book's in_stock from these, so
inventory tells it, in the change's transaction, whenever a book's units for sale reach
0 or leave it, and only then."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.errors import Conflict
from common.outbox.models import OutboxEvent
from stock import services
from stock.models import ProductType, Reservation, StockItem
from stock.services import ReservationItem

pytestmark = pytest.mark.django_db


def told() -> list[tuple[int, bool]]:
    """What inventory has told so far, oldest first: (book id, in stock)."""
    events = OutboxEvent.objects.filter(event_type="stock.availability_changed").order_by("created_at", "id")
    return [(event.payload["product_id"], event.payload["in_stock"]) for event in events]


def reserve(reference: str, *lines: tuple[int, int]):
    items = [ReservationItem(product_id=product_id, quantity=quantity) for product_id, quantity in lines]
    return services.reservation_create(reference=reference, items=items)[0]


def test_a_book_coming_into_stock_is_told_once(put_stock):
    put_stock(1, 5)
    put_stock(1, 3)  # more of a book in stock already: nothing to tell

    assert told() == [(1, True)]


def test_the_word_is_for_book_service_and_carries_the_change_time(put_stock):
    put_stock(1, 5)

    event = OutboxEvent.objects.get(event_type="stock.availability_changed")
    item = StockItem.objects.get(product_id=1)
    assert parse_datetime(event.payload["changed_at"]) == item.updated_at
    assert [delivery.target for delivery in event.deliveries.all()] == ["book"]


def test_the_last_units_reserved_then_released_are_told_each_time(put_stock):
    put_stock(1, 4)
    reserve("order-a", (1, 1))  # 3 left: still in stock
    reserve("order-b", (1, 3))  # none left

    services.reservation_release(reference="order-b")

    assert told() == [(1, True), (1, False), (1, True)]


def test_a_reservation_of_many_books_tells_those_it_empties(put_stock):
    put_stock(1, 2)
    put_stock(2, 5)

    reserve("order-a", (1, 2), (2, 1))

    assert told()[2:] == [(1, False)]


def test_an_expired_hold_gives_the_book_back_and_says_so(put_stock):
    put_stock(1, 2)
    reserve("order-a", (1, 2))
    Reservation.objects.filter(reference="order-a").update(expires_at=timezone.now() - timedelta(minutes=1))

    assert services.reservations_expire() == 1

    assert told() == [(1, True), (1, False), (1, True)]


def test_an_expired_hold_taken_again_on_confirm_says_so(put_stock):
    put_stock(1, 2)
    reserve("order-a", (1, 2))
    Reservation.objects.filter(reference="order-a").update(expires_at=timezone.now() - timedelta(minutes=1))
    services.reservations_expire()

    services.reservation_confirm(reference="order-a")

    assert told() == [(1, True), (1, False), (1, True), (1, False)]


def test_the_last_units_removed_are_told(put_stock):
    put_stock(1, 2)
    services.stock_remove(product_id=1, quantity=1)
    services.stock_remove(product_id=1, quantity=1)

    assert told() == [(1, True), (1, False)]


def test_a_refused_reservation_tells_nothing(put_stock):
    put_stock(1, 1)
    put_stock(2, 1)

    with pytest.raises(Conflict):
        reserve("order-a", (1, 1), (2, 2))  # the second line is short: nothing is taken

    assert told() == [(1, True), (2, True)]


def test_other_products_than_books_are_not_told(put_stock):
    put_stock(1, 2, ProductType.CLOTHES)
    services.stock_remove(product_id=1, quantity=2, product_type=ProductType.CLOTHES)

    assert told() == []


def test_each_word_is_later_than_the_one_before(put_stock):
    put_stock(1, 1)
    reserve("order-a", (1, 1))
    services.reservation_release(reference="order-a")

    times = [
        parse_datetime(event.payload["changed_at"])
        for event in OutboxEvent.objects.filter(event_type="stock.availability_changed").order_by("created_at", "id")
    ]
    assert len(times) == 3
    assert times == sorted(times)
    assert len(set(times)) == 3
