"""Carts through the gateway, with the real book_service behind them."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.people import Shopper
from tests.e2e.shop import make_books

# A staff member of this module's own, so the gateway's per-user write limits count
# these writes apart from other modules'.
STAFF_ID = 9501


@pytest.fixture(scope="module")
def books(stack):
    """Three books in the catalog, made by staff."""
    return make_books(stack, [("Lão Hạc", "12.50"), ("Chí Phèo", "30.00"), ("Đời thừa", "8.25")], tag="cart")


def test_a_customer_fills_views_and_empties_their_cart(stack, http, books):
    lao_hac, chi_pheo, doi_thua = books
    customer = Shopper(stack, http, 501)

    created = customer.create_cart()
    assert created.status_code == 201, created.text
    again = customer.create_cart()
    assert (again.status_code, again.json()["id"]) == (200, created.json()["id"])

    assert customer.add(lao_hac["id"], 2).status_code == 201
    raised = customer.add(lao_hac["id"], 3)
    assert (raised.status_code, raised.json()["quantity"]) == (200, 5)
    assert customer.add(chi_pheo["id"]).status_code == 201
    assert customer.add(doi_thua["id"], 4).status_code == 201

    cart = customer.view().json()
    assert cart["details_available"] is True
    assert [(i["title"], i["quantity"], i["unit_price"], i["line_total"]) for i in cart["items"]] == [
        ("Lão Hạc", 5, "12.50", "62.50"),
        ("Chí Phèo", 1, "30.00", "30.00"),
        ("Đời thừa", 4, "8.25", "33.00"),
    ]
    assert (cart["total_quantity"], cart["total_price"]) == (10, "125.50")

    left = customer.remove(lao_hac["id"], 4)
    assert (left.status_code, left.json()["quantity"]) == (200, 1)
    assert customer.remove(doi_thua["id"]).status_code == 204
    assert customer.remove(doi_thua["id"]).status_code == 404
    assert customer.view().json()["total_price"] == "42.50"

    assert customer.clear().status_code == 204
    cart = customer.view().json()
    assert (cart["items"], cart["total_quantity"], cart["total_price"]) == ([], 0, "0.00")


@pytest.mark.parametrize("product_id", [987654321, 2**63 - 1])  # the largest id any database holds
def test_an_unknown_book_is_400_naming_product_id(stack, http, books, product_id):
    response = Shopper(stack, http, 502).add(product_id)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "unknown_product"
    assert "product_id" in response.json()["error"]["details"]


def test_only_the_owner_staff_or_a_service_touch_a_cart(stack, http, books):
    owner = Shopper(stack, http, 503)
    assert owner.add(books[0]["id"]).status_code == 201
    intruder = Shopper(stack, http, 504)
    intruder.cart_url = owner.cart_url  # the intruder's token on the owner's cart

    for response in (intruder.view(), intruder.add(books[0]["id"]), intruder.clear(), intruder.create_cart(503)):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "permission_denied"
    anonymous = http.get(f"{owner.cart_url}/")
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "not_authenticated")

    staff = Shopper(stack, http, STAFF_ID, is_staff=True)
    staff.cart_url = owner.cart_url
    assert staff.view().json()["total_quantity"] == 1
    assert staff.create_cart(505).status_code == 201


def test_a_deleted_book_shows_as_unavailable(stack, http, books):
    staff = {"Authorization": f"Bearer {stack.token(user_id=STAFF_ID, is_staff=True)}"}
    refs = {field: books[0][field] for field in ("author_id", "category_id", "published_date")}
    body = {**refs, "title": "Gone", "price": "5"}
    doomed = http.post(f"{stack.gateway}/api/books/", json=body, headers=staff).json()
    customer = Shopper(stack, http, 506)
    customer.add(books[1]["id"], 2)
    customer.add(doomed["id"], 3)
    assert http.delete(f"{stack.gateway}/api/books/{doomed['id']}/", headers=staff).status_code == 204

    cart = customer.view().json()

    assert [(i["product_id"], i["available"], i["unit_price"]) for i in cart["items"]] == [
        (books[1]["id"], True, "30.00"),
        (doomed["id"], False, None),
    ]
    assert (cart["total_quantity"], cart["total_price"]) == (5, "60.00")


@pytest.mark.parametrize(("target", "user_id"), [("cart", 507), ("gateway", 517)])
def test_simultaneous_adds_of_one_product_sum_in_one_line(stack, books, target, user_id):
    """Adds released at the same instant, of a product not yet in a cart that does not
    exist yet: one cart, one line, the exact sum. Straight to cart_service (8 threads,
    so up to 8 adds inside it at once; without the cart lock this loses updates on
    PostgreSQL) and through the gateway, which spreads them out more."""
    customer = Shopper(stack, None, user_id, via=stack.url(target))
    quantities = list(range(1, 25))
    start = threading.Barrier(len(quantities))

    def add(quantity: int) -> int:
        with requests.Session() as session:
            session.get(f"{stack.url(target)}/health/").raise_for_status()  # connected before the start
            start.wait(timeout=30)
            return customer.add(books[2]["id"], quantity, session=session).status_code

    with ThreadPoolExecutor(max_workers=len(quantities)) as pool:
        statuses = list(pool.map(add, quantities))

    assert sorted(statuses) == [200] * (len(quantities) - 1) + [201]  # one add made the line, the others raised it
    with requests.Session() as http:
        cart = customer.view(session=http).json()
    assert [(i["product_id"], i["quantity"]) for i in cart["items"]] == [(books[2]["id"], sum(quantities))]


def test_book_service_down_add_is_503_and_view_still_answers(stack, http, books):
    customer = Shopper(stack, http, 508)
    assert customer.add(books[0]["id"], 2).status_code == 201

    with stack.stopped("book"):
        refused = customer.add(books[1]["id"])
        cart = customer.view()

    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["details"] == {"service": "book"}
    assert cart.status_code == 200, cart.text
    body = cart.json()
    assert body["details_available"] is False
    assert [(i["product_id"], i["quantity"], i["title"]) for i in body["items"]] == [(books[0]["id"], 2, None)]
    assert (body["total_quantity"], body["total_price"]) == (2, None)
    assert customer.view().json()["details_available"] is True  # back once book_service is


def test_a_hanging_book_service_does_not_hang_the_cart(stack, http, books):
    customer = Shopper(stack, http, 509)
    assert customer.add(books[0]["id"]).status_code == 201

    with stack.paused("book"):
        cart = customer.view()

    assert cart.status_code == 200, cart.text
    assert cart.json()["details_available"] is False
    assert cart.elapsed.total_seconds() < 2
