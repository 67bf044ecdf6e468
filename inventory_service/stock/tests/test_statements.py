"""The statements each reservation call makes, its answer included: these are every
checkout's (reserve, confirm) and every cancellation's (release). Each count below
includes the test's own savepoint and its release (2). The books have units to spare,
so no stock.availability_changed is written."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from stock import services, statements
from stock.models import Reservation, ReservationLine, StockItem, Warehouse

pytestmark = pytest.mark.django_db

BOOKS = (1, 2, 3)


@pytest.fixture
def stocked(put_stock):
    for book in BOOKS:
        put_stock(book, 10)


def reserve(client, reference: str, books=BOOKS[:1]):
    lines = [{"product_id": book, "quantity": 1} for book in books]
    response = client.post("/api/warehouse/reservations/", {"reference": reference, "items": lines}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def confirm(client, reference: str):
    response = client.post(f"/api/warehouse/reservations/{reference}/confirm/")
    assert response.status_code == 200, response.content
    return response.json()


def release(client, reference: str):
    response = client.delete(f"/api/warehouse/reservations/{reference}/")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("books", [BOOKS[:1], BOOKS])
def test_a_reservation_is_five_statements_whatever_its_lines(service_client, stocked, books, django_assert_num_queries):
    # The warehouse read FOR SHARE, the reference claimed, the items read FOR UPDATE,
    # one conditional update of them all, the lines inserted. One update per line (before)
    # goes over with several lines.
    with django_assert_num_queries(2 + 5):
        answer = reserve(service_client, "order-1", books)
    assert [item["product_id"] for item in answer["items"]] == list(books)
    assert [item.reserved for item in StockItem.objects.order_by("product_id")][: len(books)] == [1] * len(books)


def test_a_replayed_reservation_is_three_statements(service_client, stocked, django_assert_num_queries):
    first = reserve(service_client, "order-1", BOOKS)
    # The warehouse, the claim that finds the reference taken, its lines with their
    # reservation and items in one read.
    with django_assert_num_queries(2 + 3):
        assert reserve(service_client, "order-1", BOOKS) == first


@pytest.mark.parametrize("books", [BOOKS[:1], BOOKS])
def test_confirming_a_hold_is_an_update_and_one_read(service_client, stocked, books, django_assert_num_queries):
    reserve(service_client, "order-1", books)
    # Before: the warehouse lock, the reservation, its lines, their items, the save.
    with django_assert_num_queries(2 + 2):
        answer = confirm(service_client, "order-1")
    assert answer["status"] == "held"
    assert answer["expires_at"] is None
    assert answer["confirmed_at"] is not None
    assert [item["product_id"] for item in answer["items"]] == list(books)


def test_confirming_again_answers_the_same_and_changes_nothing(service_client, stocked, django_assert_num_queries):
    reserve(service_client, "order-1", BOOKS)
    first = confirm(service_client, "order-1")
    updated_at = Reservation.objects.get().updated_at
    # The update that finds nothing to confirm, the warehouse FOR SHARE, the reservation
    # FOR UPDATE, its lines.
    with django_assert_num_queries(2 + 4):
        assert confirm(service_client, "order-1") == first
    assert Reservation.objects.get().updated_at == updated_at


@pytest.mark.parametrize("books", [BOOKS[:1], BOOKS])
def test_releasing_a_hold_is_three_statements_whatever_its_lines(
    service_client, stocked, books, django_assert_num_queries
):
    reserve(service_client, "order-1", books)
    # The status changed (under the row's lock), the lines with their items read FOR
    # UPDATE, one update of them all. Before: 6 + one per line, and one read per line
    # for the answer.
    with django_assert_num_queries(2 + 3):
        answer = release(service_client, "order-1")
    assert answer["status"] == "released"
    assert [item["product_id"] for item in answer["items"]] == list(books)
    assert all(item.available == 10 and item.reserved == 0 for item in StockItem.objects.all())


def test_releasing_again_changes_nothing_in_three_statements(service_client, stocked, django_assert_num_queries):
    reserve(service_client, "order-1", BOOKS)
    first = release(service_client, "order-1")
    with django_assert_num_queries(2 + 3):
        assert release(service_client, "order-1") == first
    assert all(item.available == 10 and item.reserved == 0 for item in StockItem.objects.all())


def test_an_expiring_hold_is_three_statements(service_client, stocked, settings, django_assert_num_queries):
    settings.STOCK_HOLD_MINUTES = 0
    reserve(service_client, "order-1", BOOKS)
    Reservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    # The status changed, the lines with their items read FOR UPDATE, one update of them all.
    with django_assert_num_queries(2 + 3):
        assert services._reservation_expire(reference="order-1") == 1
    assert all(item.available == 10 and item.reserved == 0 for item in StockItem.objects.all())


# stock.statements: the statements made once per process give what the ORM gives, and
# read each call's rows afresh.


def _fields(instance, names=None) -> dict:
    names = names or [field.attname for field in type(instance)._meta.concrete_fields]
    return {name: getattr(instance, name) for name in names}


@pytest.mark.parametrize("lock_items", [False, True])
def test_a_reservation_with_its_lines_reads_as_the_orm_reads_it(stocked, lock_items):
    services.reservation_create(
        reference="order-1",
        items=[services.ReservationItem(product_id=3, quantity=2), services.ReservationItem(product_id=1, quantity=1)],
    )
    services.reservation_confirm(reference="order-1")
    with transaction.atomic():
        reservation, lines = statements.reservation_with_lines("order-1", lock_items=lock_items)
    expected = Reservation.objects.get(reference="order-1")
    assert _fields(reservation) == _fields(expected)  # every field, each converted as the ORM does
    orm_lines = list(ReservationLine.objects.filter(reservation=expected).select_related("stock_item").order_by("id"))
    assert [_fields(line) for line in lines] == [_fields(line) for line in orm_lines]
    item_fields = list(statements.ITEM_COLUMNS)
    assert [_fields(line.stock_item, item_fields) for line in lines] == [
        _fields(line.stock_item, item_fields) for line in orm_lines
    ]
    assert all(line.reservation is reservation for line in lines)
    StockItem.objects.filter(product_id=3).update(available=F("available") - 1)  # read afresh each time
    with transaction.atomic():
        _, again = statements.reservation_with_lines("order-1", lock_items=lock_items)
    assert [line.stock_item.available for line in again] == [8 - 1, 9]
    assert [line.stock_item.available for line in lines] == [8, 9]


def test_a_reservation_without_lines_is_read_alone_and_not_when_its_items_are_locked(warehouse):
    services.reservation_release(reference="order-1")  # recorded released, with no lines
    reservation, lines = statements.reservation_with_lines("order-1", lock_items=False)
    assert _fields(reservation) == _fields(Reservation.objects.get(reference="order-1"))
    assert lines == []
    with transaction.atomic():
        assert statements.reservation_with_lines("order-1", lock_items=True) is None
    assert statements.reservation_with_lines("order-2", lock_items=False) is None


@pytest.mark.parametrize(("types", "ids"), [(["book"], [2]), (["book"], [3, 1, 2, 9]), (["book", "clothes"], [1, 3])])
def test_the_locked_stock_items_are_the_orms_in_id_order(stocked, put_stock, types, ids):
    put_stock(3, 4, product_type="clothes")
    with transaction.atomic():
        items = list(statements.stock_items_locked(warehouse_id=Warehouse.objects.get().pk, types=types, ids=ids))
    expected = StockItem.objects.filter(product_type__in=types, product_id__in=ids).order_by("id")
    assert [_fields(item) for item in items] == [_fields(item) for item in expected]
    assert items  # each shape finds rows


def test_the_default_warehouse_reads_as_the_orm_reads_it(warehouse):
    with transaction.atomic():
        for lock in (None, "share", "update"):
            assert _fields(next(iter(statements.default_warehouse(lock)))) == _fields(Warehouse.objects.get())
    Warehouse.objects.update(status=Warehouse.Status.PAUSED)  # read afresh each time
    assert next(iter(statements.default_warehouse(None))).status == Warehouse.Status.PAUSED


@pytest.mark.parametrize(
    ("taken_from", "put_into", "after"),
    [
        ("available", "reserved", [(7, 3), (9, 1)]),
        ("available", None, [(7, 0), (9, 0)]),
        ("reserved", "available", None),
    ],
)
def test_units_move_between_the_columns_only_where_they_are(stocked, taken_from, put_into, after):
    ids = list(StockItem.objects.order_by("product_id").values_list("id", flat=True))
    if taken_from == "reserved":
        StockItem.objects.update(reserved=4)
        after = [(13, 1), (11, 3)]
    at = timezone.now()
    moved = statements.units_move([(ids[0], 3), (ids[1], 1)], taken_from=taken_from, put_into=put_into, at=at)
    assert moved == 2
    rows = StockItem.objects.order_by("product_id")
    assert [(item.available, item.reserved) for item in rows][:2] == after
    assert [item.updated_at for item in rows][:2] == [at, at]  # stored as the ORM stores a time
    before = list(StockItem.objects.order_by("product_id").values_list("available", "reserved"))
    # Too many units of one: that item is left as it was, the other moves.
    too_many = StockItem.objects.get(pk=ids[0]).__dict__[taken_from] + 1
    moves = [(ids[0], too_many), (ids[1], 1)]
    assert statements.units_move(moves, taken_from=taken_from, put_into=put_into, at=at) == 1
    after_refusal = list(StockItem.objects.order_by("product_id").values_list("available", "reserved"))
    assert after_refusal[0] == before[0]
    assert after_refusal[1] != before[1]


def test_a_held_update_changes_only_a_held_reservation_meeting_its_conditions(stocked):
    services.reservation_create(reference="order-1", items=[services.ReservationItem(product_id=1, quantity=1)])
    now = timezone.now()
    made = Reservation.objects.get()
    assert not statements.held_update("order-1", {"updated_at": now}, expired_by=made.expires_at)  # not past it yet
    assert not statements.held_update("order-2", {"updated_at": now})
    confirmation = {"expires_at": None, "confirmed_at": now, "updated_at": now}
    assert statements.held_update("order-1", confirmation, unconfirmed=True)
    assert not statements.held_update("order-1", confirmation, unconfirmed=True)  # confirmed already
    # Stored as the ORM stores a time: a lookup by the time read back finds the row.
    assert Reservation.objects.filter(expires_at=None, confirmed_at=now, updated_at=now).exists()
    ended = {"status": Reservation.Status.RELEASED, "released_at": now, "updated_at": now}
    assert statements.held_update("order-1", ended)
    assert not statements.held_update("order-1", ended)  # no longer held
    assert Reservation.objects.filter(status="released", released_at=now, created_at=made.created_at).exists()


def test_a_held_update_by_expiry_takes_only_holds_past_it(stocked, settings):
    settings.STOCK_HOLD_MINUTES = 0
    services.reservation_create(reference="order-1", items=[services.ReservationItem(product_id=1, quantity=1)])
    expires_at = Reservation.objects.get().expires_at
    ended = {"status": Reservation.Status.EXPIRED, "released_at": expires_at, "updated_at": expires_at}
    assert not statements.held_update("order-1", ended, expired_by=expires_at)  # expires_at < expired_by
    assert statements.held_update("order-1", ended, expired_by=expires_at + timedelta(microseconds=1))
    assert Reservation.objects.get().status == Reservation.Status.EXPIRED
