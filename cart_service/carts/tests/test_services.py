"""Writes to carts, with book_service faked at the HTTP layer."""

import pytest

from carts import services
from carts.errors import CartErrorCode
from carts.models import Cart, CartItem
from carts.tests.conftest import book
from common.errors import ApiError, Conflict, ServiceTimeout, ServiceUnavailable
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
