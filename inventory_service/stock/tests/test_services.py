"""The rules of the stock service functions, on the database."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from common.errors import Conflict, NotFound
from stock import services
from stock.errors import StockErrorCode
from stock.models import ProductType, Reservation, StockItem, Warehouse
from stock.selectors import warehouse_usage
from stock.services import ReservationItem
from stock.tests.conftest import book_url

pytestmark = pytest.mark.django_db


def line(product_id: int, quantity: int, product_type: str = ProductType.BOOK) -> ReservationItem:
    return ReservationItem(product_id=product_id, quantity=quantity, product_type=product_type)


def stock_of(product_id: int, product_type: str = ProductType.BOOK) -> tuple[int, int]:
    item = StockItem.objects.get(product_type=product_type, product_id=product_id)
    return item.available, item.reserved


def test_the_default_warehouse_has_the_documented_capacities_and_is_active(warehouse):
    assert warehouse.is_default
    assert warehouse.status == Warehouse.Status.ACTIVE
    assert (warehouse.book_quantity, warehouse.clothes_quantity, warehouse.electronic_quantity) == (
        10_000,
        5_000,
        2_000,
    )


def test_a_second_default_warehouse_is_a_conflict_naming_the_first(warehouse):
    with pytest.raises(Conflict) as raised:
        services.warehouse_create()
    assert raised.value.code == StockErrorCode.WAREHOUSE_EXISTS
    assert raised.value.details == {"warehouse_id": warehouse.id}


def test_the_database_allows_one_default_warehouse_only(warehouse):
    with pytest.raises(IntegrityError), transaction.atomic():
        Warehouse.objects.create(
            name="Second", is_default=True, book_quantity=1, clothes_quantity=0, electronic_quantity=0
        )


def test_a_capacity_may_go_down_to_the_units_stored_but_not_below(put_stock):
    put_stock(1, 30)
    services.reservation_create(reference="r1", items=[line(1, 10)])  # reserved units count too
    assert services.warehouse_update(book_quantity=30).book_quantity == 30
    with pytest.raises(Conflict) as raised:
        services.warehouse_update(book_quantity=29, address="ignored, as the whole change is refused")
    assert raised.value.code == StockErrorCode.CAPACITY_BELOW_STOCK
    assert raised.value.details["used"] == 30
    assert "book_quantity" in raised.value.details
    assert Warehouse.objects.get().address == ""


def test_update_changes_address_status_and_other_capacities(warehouse):
    updated = services.warehouse_update(address="1 Tràng Tiền, Hà Nội", status="paused", electronic_quantity=0)
    assert (updated.address, updated.status, updated.electronic_quantity) == ("1 Tràng Tiền, Hà Nội", "paused", 0)


def test_every_call_without_a_warehouse_is_not_found(db):
    for call in (
        lambda: services.warehouse_update(address="x"),
        lambda: services.stock_add(product_id=1, quantity=1),
        lambda: services.stock_remove(product_id=1, quantity=1),
        lambda: services.reservation_create(reference="r", items=[line(1, 1)]),
        lambda: services.reservation_release(reference="r"),
    ):
        with pytest.raises(NotFound) as raised:
            call()
        assert raised.value.code == StockErrorCode.WAREHOUSE_NOT_FOUND


def test_adding_stock_fills_the_capacity_of_its_type_exactly(put_stock, book_exists):
    services.warehouse_update(book_quantity=10, clothes_quantity=3)
    put_stock(1, 4)
    put_stock(2, 6)
    book_exists(3)
    with pytest.raises(Conflict) as raised:
        services.stock_add(product_id=3, quantity=1)
    assert raised.value.code == StockErrorCode.CAPACITY_EXCEEDED
    assert raised.value.details == {"product_type": "book", "capacity": 10, "free": 0, "requested": 1}
    # Other types have their own capacity; clothes are not checked against book_service.
    assert services.stock_add(product_id=3, quantity=3, product_type=ProductType.CLOTHES).available == 3
    assert StockItem.objects.filter(product_id=3).count() == 1


def test_adding_to_a_stocked_product_adds_up(put_stock):
    put_stock(1, 4)
    assert put_stock(1, 5).available == 9


def test_a_book_that_book_service_does_not_have_is_refused(warehouse, mocked_responses):
    mocked_responses.get(book_url(404), status=404, json={"error": {"code": "not_found"}})
    with pytest.raises(ValidationError) as raised:
        services.stock_add(product_id=404, quantity=1)
    assert "product_id" in raised.value.detail
    assert not StockItem.objects.exists()


@pytest.mark.parametrize("status", ["paused", "closed"])
def test_a_warehouse_that_is_not_active_takes_no_stock_in_and_reserves_none(put_stock, status):
    put_stock(1, 5)
    services.warehouse_update(status=status)
    for call in (
        lambda: services.stock_add(product_id=1, quantity=1),  # refused before book_service is asked
        lambda: services.reservation_create(reference="r", items=[line(1, 1)]),
    ):
        with pytest.raises(Conflict) as raised:
            call()
        assert raised.value.code == StockErrorCode.WAREHOUSE_NOT_ACTIVE
    # Taking stock out still works.
    assert services.stock_remove(product_id=1, quantity=5).available == 0


def test_removing_more_than_is_available_is_a_conflict_and_changes_nothing(put_stock):
    put_stock(1, 5)
    services.reservation_create(reference="r1", items=[line(1, 2)])
    with pytest.raises(Conflict) as raised:
        services.stock_remove(product_id=1, quantity=4)  # 5 on the shelf, but 2 are reserved
    assert raised.value.code == StockErrorCode.INSUFFICIENT_STOCK
    assert raised.value.details["items"] == [{"product_id": 1, "product_type": "book", "requested": 4, "available": 3}]
    assert stock_of(1) == (3, 2)
    assert services.stock_remove(product_id=1, quantity=3).available == 0


def test_removing_a_product_that_is_not_stocked_is_not_found(put_stock):
    put_stock(1, 5)
    with pytest.raises(NotFound) as raised:
        services.stock_remove(product_id=2, quantity=1)
    assert raised.value.code == StockErrorCode.PRODUCT_NOT_STOCKED
    with pytest.raises(NotFound):  # the same id as another type is another product
        services.stock_remove(product_id=1, quantity=1, product_type=ProductType.CLOTHES)


def test_the_database_refuses_negative_stock(put_stock):
    from django.db.models import F

    put_stock(1, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockItem.objects.update(available=F("available") - 2)


def test_a_reservation_takes_every_line_from_available_into_reserved(put_stock):
    put_stock(1, 5)
    put_stock(2, 5)
    reservation, created = services.reservation_create(reference="order-1", items=[line(1, 2), line(2, 5)])
    assert created
    assert reservation.status == Reservation.Status.HELD
    assert (stock_of(1), stock_of(2)) == ((3, 2), (0, 5))
    usage = warehouse_usage(warehouse=reservation.warehouse)["book"]
    assert (usage.used, usage.reserved, usage.products) == (10, 7, 2)  # reserved units are still on the shelves


def test_a_reservation_with_a_short_line_takes_nothing_and_names_the_short_lines(put_stock):
    put_stock(1, 5)
    put_stock(2, 1)
    with pytest.raises(Conflict) as raised:
        services.reservation_create(reference="order-1", items=[line(1, 2), line(2, 3), line(99, 1)])
    assert raised.value.code == StockErrorCode.INSUFFICIENT_STOCK
    assert raised.value.details["items"] == [
        {"product_id": 2, "product_type": "book", "requested": 3, "available": 1},
        {"product_id": 99, "product_type": "book", "requested": 1, "available": 0},
    ]
    assert (stock_of(1), stock_of(2)) == ((5, 0), (1, 0))
    assert not Reservation.objects.exists()  # so the same reference may be tried again later


def test_a_replay_takes_nothing_twice_and_returns_the_same_reservation(put_stock):
    put_stock(1, 5)
    first, created = services.reservation_create(reference="order-1", items=[line(1, 2)])
    again, created_again = services.reservation_create(reference="order-1", items=[line(1, 2)])
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert stock_of(1) == (3, 2)


def test_a_used_reference_with_other_lines_is_a_conflict(put_stock):
    put_stock(1, 5)
    services.reservation_create(reference="order-1", items=[line(1, 2)])
    with pytest.raises(Conflict) as raised:
        services.reservation_create(reference="order-1", items=[line(1, 3)])
    assert raised.value.code == StockErrorCode.RESERVATION_REFERENCE_REUSED
    assert stock_of(1) == (3, 2)


def test_release_returns_the_stock_once_however_often_it_is_called(put_stock):
    put_stock(1, 5)
    services.reservation_create(reference="order-1", items=[line(1, 2)])
    released = services.reservation_release(reference="order-1")
    assert released.status == Reservation.Status.RELEASED
    assert released.released_at is not None
    assert stock_of(1) == (5, 0)
    services.reservation_release(reference="order-1")
    assert stock_of(1) == (5, 0)
    with pytest.raises(Conflict) as raised:  # a released reference is not reserved again
        services.reservation_create(reference="order-1", items=[line(1, 2)])
    assert raised.value.code == StockErrorCode.RESERVATION_RELEASED
    assert stock_of(1) == (5, 0)


def test_releasing_an_unknown_reference_stops_a_late_reservation_under_it(put_stock):
    put_stock(1, 5)
    released = services.reservation_release(reference="timed-out-checkout")
    assert (released.status, list(released.lines.all())) == (Reservation.Status.RELEASED, [])
    with pytest.raises(Conflict):
        services.reservation_create(reference="timed-out-checkout", items=[line(1, 1)])
    assert stock_of(1) == (5, 0)


def test_release_works_in_a_warehouse_that_is_no_longer_active(put_stock):
    put_stock(1, 5)
    services.reservation_create(reference="order-1", items=[line(1, 5)])
    services.warehouse_update(status="closed")
    services.reservation_release(reference="order-1")
    assert stock_of(1) == (5, 0)


def expire_all(settings) -> int:
    """Every unconfirmed hold is past its expiry, then the sweep runs."""
    Reservation.objects.filter(expires_at__isnull=False).update(expires_at=timezone.now() - timedelta(seconds=1))
    return services.reservations_expire()


def test_a_new_hold_expires_after_the_configured_minutes(put_stock, settings):
    settings.STOCK_HOLD_MINUTES = 2
    put_stock(1, 5)
    before = timezone.now()
    reservation, _ = services.reservation_create(reference="r1", items=[line(1, 2)])
    assert before + timedelta(minutes=2) <= reservation.expires_at <= timezone.now() + timedelta(minutes=2)
    assert services.reservations_expire() == 0  # not yet
    assert stock_of(1) == (3, 2)


def test_the_sweep_gives_back_unconfirmed_holds_and_leaves_confirmed_ones(put_stock, settings):
    put_stock(1, 10)
    services.reservation_create(reference="abandoned", items=[line(1, 2)])
    services.reservation_create(reference="ordered", items=[line(1, 3)])
    services.reservation_confirm(reference="ordered")
    assert expire_all(settings) == 1
    assert stock_of(1) == (7, 3)
    abandoned = Reservation.objects.get(reference="abandoned")
    assert abandoned.status == Reservation.Status.EXPIRED
    assert abandoned.released_at is not None
    assert Reservation.objects.get(reference="ordered").status == Reservation.Status.HELD
    assert services.reservations_expire() == 0  # nothing twice
    assert stock_of(1) == (7, 3)


def test_a_late_confirmation_takes_an_expired_hold_again_when_the_units_are_there(put_stock, settings):
    put_stock(1, 5)
    services.reservation_create(reference="slow", items=[line(1, 2)])
    expire_all(settings)
    assert stock_of(1) == (5, 0)
    confirmed = services.reservation_confirm(reference="slow")
    assert confirmed.status == Reservation.Status.HELD
    assert confirmed.expires_at is None
    assert confirmed.released_at is None
    assert stock_of(1) == (3, 2)
    # Stored as answered: confirming again says the same (it kept the expiry's time before).
    assert services.reservation_confirm(reference="slow").released_at is None
    assert Reservation.objects.get(reference="slow").released_at is None


def test_a_late_confirmation_of_an_expired_hold_whose_units_are_gone_is_409(put_stock, settings):
    put_stock(1, 2)
    services.reservation_create(reference="slow", items=[line(1, 2)])
    expire_all(settings)
    services.reservation_create(reference="other", items=[line(1, 1)])
    with pytest.raises(Conflict) as raised:
        services.reservation_confirm(reference="slow")
    assert raised.value.code == StockErrorCode.RESERVATION_EXPIRED
    assert raised.value.details["items"][0]["available"] == 1
    assert stock_of(1) == (1, 1)
    assert Reservation.objects.get(reference="slow").status == Reservation.Status.EXPIRED


def test_an_expired_hold_released_by_its_holder_cannot_be_confirmed_or_replayed(put_stock, settings):
    put_stock(1, 5)
    services.reservation_create(reference="r1", items=[line(1, 2)])
    expire_all(settings)
    assert services.reservation_release(reference="r1").status == Reservation.Status.RELEASED
    assert stock_of(1) == (5, 0)  # given back once, by the expiry
    with pytest.raises(Conflict) as raised:
        services.reservation_confirm(reference="r1")
    assert raised.value.code == StockErrorCode.RESERVATION_RELEASED
    with pytest.raises(Conflict) as raised:
        services.reservation_create(reference="r1", items=[line(1, 2)])
    assert raised.value.code == StockErrorCode.RESERVATION_RELEASED


def test_confirming_a_released_or_unknown_reservation_is_refused(put_stock):
    put_stock(1, 5)
    services.reservation_create(reference="r1", items=[line(1, 2)])
    services.reservation_release(reference="r1")
    with pytest.raises(Conflict):
        services.reservation_confirm(reference="r1")
    with pytest.raises(NotFound):
        services.reservation_confirm(reference="never")
    assert stock_of(1) == (5, 0)
