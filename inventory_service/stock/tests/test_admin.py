"""The admin does the warehouse's work through stock.services: stock added (8.3) and
removed (8.5) from the list and an item's page, the warehouse made and edited with its
capacity rules (8.1, 8.2) and its free capacity shown (8.6); books by title from one call
per page; a bounded list whatever its size."""

import pytest
import requests
from django.conf import settings
from django.db import connection

from common.testing.pages import queries_of_get
from stock import services
from stock.clients import books
from stock.models import ProductType, StockItem, Warehouse
from stock.services import ReservationItem
from stock.tests.conftest import book_url

pytestmark = pytest.mark.django_db

ITEMS, WAREHOUSES = "/admin/stock/stockitem/", "/admin/stock/warehouse/"
BOOKS = f"{settings.SERVICE_URLS['book']}/api/books/"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def units(product_id: int) -> tuple[int, int]:
    item = StockItem.objects.get(product_id=product_id, product_type="book")
    return item.available, item.reserved


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("warehouse", {"q": "Main", "status__exact": "active"}),
        ("stockitem", {"q": "7", "product_type__exact": "book"}),
        ("reservation", {"q": "order-1", "status__exact": "held"}),
    ],
)
def test_lists_search_and_filter(admin_client, put_stock, fake_names, page, query):
    if page == "stockitem":
        fake_names("book")
    put_stock(7, 5)
    services.reservation_create(reference="order-1", items=[ReservationItem(product_id=7, quantity=2)])
    response = admin_client.get(f"/admin/stock/{page}/", query)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1


def test_stock_below_a_threshold(admin_client, put_stock, fake_names):
    fake_names("book")
    for product_id, quantity in ((1, 1), (2, 3), (3, 30)):
        put_stock(product_id, quantity)
    services.stock_remove(product_id=1, quantity=1)  # out of stock

    def listed(value: str) -> list[int]:
        page = admin_client.get(ITEMS, {"available_below": value})
        return sorted(item.product_id for item in page.context["cl"].result_list)

    assert listed("1") == [1]
    assert listed("5") == [1, 2]
    assert listed("31") == [1, 2, 3]
    assert listed("abc") == []


def test_stock_is_put_on_the_shelves_from_the_add_page_as_the_api_puts_it(
    admin_client, staff_client, warehouse, book_exists
):
    book_exists(7)
    book_exists(7)
    book_exists(8)

    first = admin_client.post(f"{ITEMS}add/", {"product_type": "book", "product_id": 7, "quantity": 5}, follow=True)
    again = admin_client.post(f"{ITEMS}add/", {"product_type": "book", "product_id": 7, "quantity": 2})
    by_api = staff_client.post("/api/warehouse/items/", {"product_id": 8, "quantity": 5}, format="json")

    assert "5 units added: 5 available now." in messages_of(first)
    assert again.status_code == 302  # to the same item: it holds 7 now
    assert units(7) == (7, 0)
    assert by_api.status_code == 201
    assert units(8) == (5, 0)


def test_an_unknown_book_a_full_warehouse_or_book_service_down_is_refused_on_the_form(
    admin_client, warehouse, mocked_responses, book_exists
):
    mocked_responses.get(book_url(8), status=404, json={"error": {"code": "not_found"}})
    mocked_responses.get(book_url(9), body=requests.ConnectionError("down"))
    book_exists(10)

    unknown = admin_client.post(f"{ITEMS}add/", {"product_type": "book", "product_id": 8, "quantity": 1})
    down = admin_client.post(f"{ITEMS}add/", {"product_type": "book", "product_id": 9, "quantity": 1})
    full = admin_client.post(f"{ITEMS}add/", {"product_type": "book", "product_id": 10, "quantity": 10_001})

    assert unknown.context["adminform"].form.errors == {"product_id": ["There is no book with id 8."]}
    assert down.context["adminform"].form.errors == {"__all__": ["The book service is unavailable."]}
    assert full.context["adminform"].form.errors == {
        "__all__": ["Only 10000 book units fit in the warehouse; 10001 were given."]
    }
    assert full.context["adminform"].form["quantity"].value() == "10001"  # what was typed stays
    assert not StockItem.objects.exists()


def test_units_are_added_and_removed_on_an_items_page(admin_client, put_stock, fake_names):
    fake_names("book")
    put_stock(7, 5)
    services.reservation_create(reference="order-1", items=[ReservationItem(product_id=7, quantity=2)])
    item = StockItem.objects.get()
    page = f"{ITEMS}{item.pk}/change/"

    removed = admin_client.post(page, {"change": "remove", "quantity": 2}, follow=True)
    too_many = admin_client.post(page, {"change": "remove", "quantity": 2})

    assert "2 units removed: 1 available, 2 reserved." in messages_of(removed)
    assert units(7) == (1, 2)
    assert too_many.context["adminform"].form.errors == {
        "quantity": ["Only 1 units of book 7 are available; 2 were asked."]
    }
    assert units(7) == (1, 2)


def test_units_are_added_and_removed_from_the_list_with_a_message_per_item(
    admin_client, put_stock, book_exists, fake_names
):
    fake_names("book")
    put_stock(7, 5)
    put_stock(8, 1)
    a, b = StockItem.objects.order_by("product_id")
    book_exists(7)
    book_exists(8)

    def act(action: str, quantity: str):
        body = {"action": action, "_selected_action": [a.pk, b.pk], "quantity": quantity}
        return messages_of(admin_client.post(ITEMS, body, follow=True))

    assert act("add_units", "3") == [
        "book 7: 3 units added: 8 available, 0 reserved",
        "book 8: 3 units added: 4 available, 0 reserved",
    ]
    assert act("remove_units", "5") == [
        "book 7: 5 units removed: 3 available, 0 reserved",
        "book 8: refused: Only 4 units of book 8 are available; 5 were asked.",
    ]
    assert act("remove_units", "lots") == ["Give the units to remove: a whole number from 1 to 1,000,000,000."]
    assert (units(7), units(8)) == ((3, 0), (4, 0))


def test_the_add_page_asks_book_service_outside_any_transaction(admin_client, warehouse, book_exists, monkeypatch):
    """stock_add asks book_service before it locks the warehouse; the admin's form adds
    no transaction around it (ServiceAdminMixin.outer_transaction, which calls Django's
    ModelAdmin._changeform_view: should that go, this fails)."""
    book_exists(7)
    depth = []
    real = books.book_exists

    def watched(*, book_id):
        depth.append(len(connection.atomic_blocks) - baseline)
        return real(book_id=book_id)

    monkeypatch.setattr(books, "book_exists", watched)
    baseline = len(connection.atomic_blocks)  # the test's own transaction

    admin_client.post(f"{ITEMS}add/", {"product_type": "book", "product_id": 7, "quantity": 1})

    assert depth == [0]
    assert units(7) == (1, 0)


def test_the_warehouse_is_made_by_the_service_once(admin_client):
    body = {
        "address": "1 Tràng Tiền",
        "status": "active",
        "book_quantity": 100,
        "clothes_quantity": 0,
        "electronic_quantity": 0,
    }

    assert admin_client.post(f"{WAREHOUSES}add/", body).status_code == 302

    warehouse = Warehouse.objects.get()
    assert (warehouse.name, warehouse.is_default, warehouse.book_quantity) == ("Main warehouse", True, 100)
    assert admin_client.get(f"{WAREHOUSES}add/").status_code == 403  # there is one now
    assert admin_client.get(f"{WAREHOUSES}{warehouse.pk}/delete/").status_code == 403


def test_a_capacity_below_the_stock_is_refused_in_the_admin(admin_client, put_stock):
    put_stock(7, 5)
    warehouse = Warehouse.objects.get()
    form = {"address": "", "status": "active", "book_quantity": 4, "clothes_quantity": 0, "electronic_quantity": 0}

    response = admin_client.post(f"{WAREHOUSES}{warehouse.pk}/change/", form)

    assert response.status_code == 200  # the form again, with the error next to the field
    assert response.context["adminform"].form.errors == {
        "book_quantity": ["The warehouse holds 5 book units; the capacity cannot be below that."]
    }
    assert Warehouse.objects.get().book_quantity == 10_000
    response = admin_client.post(f"{WAREHOUSES}{warehouse.pk}/change/", form | {"book_quantity": 5})
    assert response.status_code == 302
    assert Warehouse.objects.get().book_quantity == 5


def test_the_warehouse_shows_its_free_capacity(admin_client, put_stock):
    put_stock(7, 5)
    services.reservation_create(reference="order-1", items=[ReservationItem(product_id=7, quantity=2)])
    warehouse = Warehouse.objects.get()

    listed = admin_client.get(WAREHOUSES).content.decode()
    page = admin_client.get(f"{WAREHOUSES}{warehouse.pk}/change/").content.decode()

    assert "5 of 10,000 used (2 reserved), 9,995 free" in listed
    assert "book: 5 of 10,000 used (2 reserved), 9,995 free" in page
    assert "electronics: 0 of 2,000 used (0 reserved), 2,000 free" in page


def test_books_are_shown_by_title_and_other_products_by_id(admin_client, put_stock, fake_names):
    asked = fake_names("book")
    put_stock(7, 1)
    put_stock(8, 1, ProductType.CLOTHES)
    item = StockItem.objects.get(product_id=7)

    listed = admin_client.get(ITEMS).content.decode()
    page = admin_client.get(f"{ITEMS}{item.pk}/change/").content.decode()

    assert "7 · Book 7" in listed
    assert "7 · Book 7" in page
    assert asked == [[7], [7]]  # the clothes' product is no book: not asked for


def test_book_service_down_shows_the_ids_with_a_note(admin_client, put_stock, mocked_responses):
    put_stock(7, 1)
    mocked_responses.get(BOOKS, body=requests.ConnectionError("down"))

    listed = admin_client.get(ITEMS)

    assert listed.status_code == 200
    assert "7 (book_service unavailable)" in listed.content.decode()
    assert messages_of(listed) == ["book_service is unavailable: books are shown by id only. Reload to try again."]


def test_the_stock_list_makes_as_many_queries_and_one_call_for_10_or_100_items(admin_client, put_stock, fake_names):
    asked = fake_names("book")
    for product_id in range(1, 11):
        put_stock(product_id, 1)
    admin_client.get(ITEMS)

    asked.clear()
    ten = queries_of_get(admin_client, ITEMS)
    assert [len(ids) for ids in asked] == [10]
    for product_id in range(11, 101):
        put_stock(product_id, 1)
    asked.clear()
    hundred = queries_of_get(admin_client, ITEMS)

    assert hundred == ten <= 12, (ten, hundred)
    assert [len(ids) for ids in asked] == [100]


def test_nothing_held_by_checkouts_is_edited_or_deleted_by_hand(admin_client, put_stock, fake_names):
    fake_names("book")
    put_stock(7, 5)
    reservation, _ = services.reservation_create(reference="order-1", items=[ReservationItem(product_id=7, quantity=2)])
    item = StockItem.objects.get()

    page = admin_client.get(f"{ITEMS}{item.pk}/change/").content.decode()

    assert 'name="available"' not in page
    assert 'name="reserved"' not in page
    assert admin_client.get(f"{ITEMS}{item.pk}/delete/").status_code == 403
    reservations = "/admin/stock/reservation/"
    assert admin_client.get(f"{reservations}add/").status_code == 403
    assert admin_client.post(f"{reservations}{reservation.pk}/change/", {"status": "released"}).status_code == 403
    assert admin_client.get(f"{reservations}{reservation.pk}/delete/").status_code == 403
