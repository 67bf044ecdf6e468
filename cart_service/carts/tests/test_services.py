"""Writes to carts, with book_service faked at the HTTP layer."""

import pytest

from carts import services
from carts.errors import CartErrorCode
from carts.models import Cart, CartItem
from carts.tests.conftest import book
from common.errors import ApiError, Conflict, NotFound, ServiceTimeout, ServiceUnavailable

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
    book_service.has(book(1000))
    book_service.has(book(1))

    with pytest.raises(Conflict) as raised:
        services.cart_item_add(user_id=7, product_id=1000, quantity=1)
    assert raised.value.code == CartErrorCode.CART_FULL
    # A product already in a full cart can still be raised.
    assert services.cart_item_add(user_id=7, product_id=1, quantity=1)[0].quantity == 2


@pytest.fixture
def cart_with_lines():
    cart, _ = services.cart_create(user_id=7)
    CartItem.objects.create(cart=cart, product_id=5, quantity=4)
    CartItem.objects.create(cart=cart, product_id=6, quantity=1)
    return cart


def test_removing_part_of_a_line_keeps_the_rest(cart_with_lines):
    line = services.cart_item_remove(user_id=7, product_id=5, quantity=3)

    assert line.quantity == 1
    assert lines(7) == {5: 1, 6: 1}


@pytest.mark.parametrize("quantity", [None, 4, 5, 10**30])
def test_removing_all_or_more_or_no_quantity_removes_the_line(cart_with_lines, quantity):
    assert services.cart_item_remove(user_id=7, product_id=5, quantity=quantity) is None
    assert lines(7) == {6: 1}


@pytest.mark.parametrize(("user_id", "product_id"), [(7, 999), (8, 5)])
def test_removing_a_product_not_in_the_cart_is_404(cart_with_lines, user_id, product_id):
    with pytest.raises(NotFound) as raised:
        services.cart_item_remove(user_id=user_id, product_id=product_id)
    assert raised.value.code == CartErrorCode.ITEM_NOT_FOUND
    assert lines(7) == {5: 4, 6: 1}


def test_clearing_removes_every_line_and_keeps_the_cart(cart_with_lines):
    assert services.cart_clear(user_id=7) == 2
    assert lines(7) == {}
    assert Cart.objects.filter(user_id=7).exists()
    assert services.cart_clear(user_id=7) == 0


def test_clearing_a_cart_that_does_not_exist_is_404():
    with pytest.raises(NotFound) as raised:
        services.cart_clear(user_id=8)
    assert raised.value.code == CartErrorCode.CART_NOT_FOUND
