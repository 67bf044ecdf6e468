"""The statements each reservation call makes, its answer included: these are every
checkout's (reserve, confirm) and every cancellation's (release). Each count below
includes the test's own savepoint and its release (2). The books have units to spare,
so no stock.availability_changed is written."""

from datetime import timedelta

import pytest
from django.utils import timezone

from stock import services
from stock.models import Reservation, StockItem

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
