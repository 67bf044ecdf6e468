"""Writes to carts, with book_service faked at the HTTP layer."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carts import services
from carts.clients import books
from carts.errors import CartErrorCode
from carts.models import Cart, CartItem
from carts.serializers import CartItemSerializer
from carts.tests.conftest import book
from common.errors import ApiError, Conflict, NotFound, ServiceTimeout, ServiceUnavailable
from common.money import MAX_ORDER_TOTAL

pytestmark = pytest.mark.django_db


def lines(user_id: int) -> dict[int, int]:
    return dict(CartItem.objects.filter(cart__user_id=user_id).values_list("product_id", "quantity"))


def test_creating_a_cart_twice_gives_the_same_cart():
    first, created = services.cart_create(user_id=7)
    again, created_again = services.cart_create(user_id=7)

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Cart.objects.filter(user_id=7).count() == 1


def test_adding_a_book_makes_a_line_and_the_cart_if_needed(book_service):
    book_service.has(book(5))

    line, created = services.cart_item_add(user_id=7, product_id=5, quantity=2)

    assert created
    assert (line.product_id, line.quantity) == (5, 2)
    assert lines(7) == {5: 2}


def test_adding_a_book_already_in_the_cart_raises_its_quantity(book_service):
    book_service.has(book(5))
    book_service.has(book(5))
    services.cart_item_add(user_id=7, product_id=5, quantity=2)

    line, created = services.cart_item_add(user_id=7, product_id=5, quantity=3)

    assert not created
    assert line.quantity == 5
    assert lines(7) == {5: 5}


def test_a_line_holds_at_most_999_and_a_refused_add_changes_nothing(book_service):
    book_service.has(book(5))
    book_service.has(book(5))
    services.cart_item_add(user_id=7, product_id=5, quantity=990)

    with pytest.raises(Conflict) as raised:
        services.cart_item_add(user_id=7, product_id=5, quantity=10)

    assert raised.value.code == CartErrorCode.LINE_QUANTITY_LIMIT
    assert raised.value.details["in_cart"] == 990
    assert lines(7) == {5: 990}


def test_an_unknown_book_is_refused_naming_product_id(book_service):
    book_service.has(asked=[404])

    with pytest.raises(ApiError) as raised:
        services.cart_item_add(user_id=7, product_id=404, quantity=1)

    assert raised.value.status_code == 400
    assert raised.value.code == CartErrorCode.UNKNOWN_PRODUCT
    assert "product_id" in raised.value.details
    assert not Cart.objects.exists()


@pytest.mark.parametrize(("fault", "error"), [("is_down", ServiceUnavailable), ("is_slow", ServiceTimeout)])
def test_book_service_failing_changes_nothing(book_service, fault, error):
    services.cart_create(user_id=7)
    getattr(book_service, fault)([5])

    with pytest.raises(error):
        services.cart_item_add(user_id=7, product_id=5, quantity=1)

    assert lines(7) == {}


def test_a_cart_holds_at_most_100_products(book_service):
    cart, _ = services.cart_create(user_id=7)
    full = range(1, services.MAX_LINES + 1)
    CartItem.objects.bulk_create(CartItem(cart=cart, product_id=product_id, quantity=1) for product_id in full)
    book_service.has(*(book(product_id) for product_id in full))

    with pytest.raises(Conflict) as raised:  # refused before book_service is asked
        services.cart_item_add(user_id=7, product_id=1000, quantity=1)
    assert raised.value.code == CartErrorCode.CART_FULL
    # A product already in a full cart can still be raised.
    assert services.cart_item_add(user_id=7, product_id=1, quantity=1)[0].quantity == 2


def test_a_book_that_would_pass_the_cart_total_limit_is_409_and_nothing_changes(book_service):
    cart, _ = services.cart_create(user_id=7)
    CartItem.objects.create(cart=cart, product_id=1, quantity=9)  # 899,999,999.91: under the limit
    expensive = "99999999.99"  # book_service's largest price
    for _ in range(3):  # each add reads the cart's prices with the book's
        book_service.has(book(1, price=expensive), book(2, price=expensive))

    with pytest.raises(Conflict) as raised:
        services.cart_item_add(user_id=7, product_id=2, quantity=2)
    assert raised.value.code == CartErrorCode.CART_TOTAL_TOO_LARGE
    assert raised.value.details == {"total": "1099999999.89", "max_total": str(MAX_ORDER_TOTAL)}
    assert not CartItem.objects.filter(product_id=2).exists()
    # One more copy still fits (999,999,999.90), raising the first line past it does not.
    assert services.cart_item_add(user_id=7, product_id=2, quantity=1)[0].quantity == 1
    with pytest.raises(Conflict):
        services.cart_item_add(user_id=7, product_id=1, quantity=1)
    assert CartItem.objects.get(product_id=1).quantity == 9


def kinds(queries) -> list[str]:
    """The first word of each statement run: the test's transaction makes the service's
    BEGIN and COMMIT a SAVEPOINT and a RELEASE."""
    return [query["sql"].split(None, 1)[0] for query in queries]


@pytest.mark.parametrize(
    ("in_cart", "write"),
    [(None, "INSERT"), ({}, "INSERT"), ({6: 1}, "INSERT"), ({5: 1}, "UPDATE")],
    ids=["no cart yet", "empty cart", "new line", "line raised"],
)
def test_an_add_is_six_statements_whatever_the_cart(book_service, in_cart, write):
    if in_cart is not None:
        cart, _ = services.cart_create(user_id=7)
        for product_id, quantity in in_cart.items():
            CartItem.objects.create(cart=cart, product_id=product_id, quantity=quantity)
    book_service.has(*(book(product_id) for product_id in {5, *(in_cart or {})}))

    with CaptureQueriesContext(connection) as queries:
        services.cart_item_add(user_id=7, product_id=5, quantity=2)

    # The product ids in the cart (before book_service is asked); then one upsert makes
    # the cart or moves its updated_at, and locks it; one read of its lines gives the
    # line, the count and the total; one write of the line. No get-or-create in a
    # savepoint, no second read of the cart, no COUNT, no UPDATE of the cart after.
    assert kinds(queries) == ["SELECT", "SAVEPOINT", "INSERT", "SELECT", write, "RELEASE"]
    assert lines(7) == {**(in_cart or {}), 5: (in_cart or {}).get(5, 0) + 2}


def test_the_line_answered_is_the_line_stored(book_service):
    book_service.has(book(5))
    book_service.has(book(5))
    serialize = CartItemSerializer

    made, _ = services.cart_item_add(user_id=7, product_id=5, quantity=2)
    assert serialize(made).data == serialize(CartItem.objects.get()).data
    # Written out (services._line_write): a stored row to Django, as save() leaves it.
    assert (made.pk, made._state.adding, made._state.db) == (CartItem.objects.get().pk, False, "default")
    raised, _ = services.cart_item_add(user_id=7, product_id=5, quantity=1)
    assert serialize(raised).data == serialize(CartItem.objects.get()).data
    assert raised.pk == made.pk


def test_an_add_moves_the_carts_updated_at_and_a_refused_one_does_not(book_service):
    cart, _ = services.cart_create(user_id=7)
    CartItem.objects.create(cart=cart, product_id=5, quantity=990)
    long_ago = timezone.now() - timedelta(days=1)
    Cart.objects.update(updated_at=long_ago)
    book_service.has(book(5))
    book_service.has(book(5), book(6))

    with pytest.raises(Conflict):
        services.cart_item_add(user_id=7, product_id=5, quantity=10)
    assert Cart.objects.get().updated_at == long_ago
    services.cart_item_add(user_id=7, product_id=6, quantity=1)
    assert Cart.objects.get().updated_at > long_ago
    assert Cart.objects.get().created_at == cart.created_at  # the upsert moves only updated_at


def test_the_times_written_out_are_stored_as_the_orm_stores_them(book_service):
    """The upsert and the clear write their times outside the ORM: a lookup by the time
    read back must find the row (on SQLite the column is text, compared as written)."""
    book_service.has(book(5))
    services.cart_item_add(user_id=7, product_id=5, quantity=1)
    made = Cart.objects.get()
    assert made.created_at == made.updated_at
    assert Cart.objects.filter(created_at=made.created_at, updated_at=made.updated_at).exists()

    line = CartItem.objects.get()  # the line's insert, and its update below, are written out too
    assert line.created_at >= made.created_at
    assert CartItem.objects.filter(created_at=line.created_at, updated_at=line.updated_at).exists()
    book_service.has(book(5))
    services.cart_item_add(user_id=7, product_id=5, quantity=1)
    raised = CartItem.objects.get()
    assert (raised.created_at, raised.quantity) == (line.created_at, 2)
    assert raised.updated_at > line.updated_at
    assert CartItem.objects.filter(created_at=line.created_at, updated_at=raised.updated_at).exists()

    services.cart_clear(user_id=7)
    cleared = Cart.objects.get()
    assert cleared.updated_at > made.updated_at
    assert Cart.objects.filter(created_at=made.created_at, updated_at=cleared.updated_at).exists()


def test_clearing_is_one_update_and_one_delete():
    cart, _ = services.cart_create(user_id=7)
    CartItem.objects.bulk_create(CartItem(cart=cart, product_id=product_id, quantity=1) for product_id in (1, 2, 3))
    long_ago = timezone.now() - timedelta(days=1)
    Cart.objects.update(updated_at=long_ago)
    other, _ = services.cart_create(user_id=8)
    CartItem.objects.create(cart=other, product_id=1, quantity=1)

    with CaptureQueriesContext(connection) as queries:
        assert services.cart_clear(user_id=7) == 3

    # The UPDATE of updated_at also takes the cart's lock; no SELECT of the cart first.
    assert kinds(queries) == ["SAVEPOINT", "UPDATE", "DELETE", "RELEASE"]
    assert lines(7) == {}
    assert lines(8) == {1: 1}
    assert Cart.objects.get(user_id=7).updated_at > long_ago


def test_clearing_the_cart_of_a_user_without_one_is_404():
    with pytest.raises(NotFound) as raised:
        services.cart_clear(user_id=7)
    assert raised.value.code == CartErrorCode.CART_NOT_FOUND
    assert not Cart.objects.exists()


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the SQLite test database is in shared-cache memory, which locks by table (tests/e2e/test_cart.py "
    "runs this on SQLite files)",
)
@pytest.mark.django_db(transaction=True)
def test_simultaneous_adds_of_one_book_to_a_cart_not_made_yet_sum_in_one_line(monkeypatch):
    """Every add has read the cart (none yet) and heard from book_service before any
    writes: they meet at the cart's upsert. One cart, one line, the exact sum."""
    quantities = list(range(1, 9))
    all_asked = threading.Barrier(len(quantities), timeout=10)

    def books_fetch(*, ids):
        connection.close()  # back to the pool, which has fewer connections than there are adds
        all_asked.wait()
        return {5: books.Book(id=5, title="Book 5", price=Decimal("10.00"))}

    monkeypatch.setattr(books, "books_fetch", books_fetch)
    outcomes: list[bool | str] = []

    def add(quantity: int) -> None:
        try:
            outcomes.append(services.cart_item_add(user_id=7, product_id=5, quantity=quantity)[1])
        except Exception as error:  # reported by the assertion below
            outcomes.append(repr(error))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=add, args=(quantity,)) for quantity in quantities]
    connection.close()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes, key=str) == [False] * (len(quantities) - 1) + [True]  # one made the line
    assert Cart.objects.count() == 1
    assert lines(7) == {5: sum(quantities)}
