"""5.4 the cart view: book details from one batched call, and what it shows when they are missing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from carts import selectors, services
from carts.errors import CartErrorCode
from carts.models import Cart, CartItem
from carts.tests.conftest import book
from common.errors import NotFound

pytestmark = pytest.mark.django_db


def fill(user_id: int, quantities: dict[int, int]):
    cart, _ = services.cart_create(user_id=user_id)
    CartItem.objects.bulk_create(CartItem(cart=cart, product_id=p, quantity=q) for p, q in quantities.items())
    return cart


def test_lines_with_title_price_and_totals(book_service):
    fill(7, {1: 2, 2: 1})
    book_service.has(book(1, "Lão Hạc", "12.50"), book(2, "Số đỏ", "45.00"))

    detail = selectors.cart_detail(user_id=7)

    assert detail.details_available
    assert [(line.title, line.unit_price, line.line_total, line.available) for line in detail.lines] == [
        ("Lão Hạc", Decimal("12.50"), Decimal("25.00"), True),
        ("Số đỏ", Decimal("45.00"), Decimal("45.00"), True),
    ]
    assert (detail.total_quantity, detail.total_price) == (3, Decimal("70.00"))


def test_a_deleted_book_is_unavailable_and_not_in_the_total(book_service):
    fill(7, {1: 2, 2: 3})
    book_service.has(book(1, price="10.00"), asked=[1, 2])

    detail = selectors.cart_detail(user_id=7)

    gone = detail.lines[1]
    assert (gone.product_id, gone.available, gone.title) == (2, False, None)
    assert (gone.unit_price, gone.line_total) == (None, None)
    assert detail.total_price == Decimal("20.00")
    assert detail.total_quantity == 5


def test_fifty_lines_are_one_call_and_a_fixed_number_of_queries(book_service, django_assert_num_queries):
    fill(7, {product_id: 1 for product_id in range(1, 51)})
    book_service.has(*(book(product_id) for product_id in range(1, 51)))

    with django_assert_num_queries(1):  # the cart and its lines, joined
        detail = selectors.cart_detail(user_id=7)

    assert book_service.calls == 1
    assert detail.total_price == Decimal("500.00")


def test_an_empty_cart_asks_book_service_nothing(book_service):
    fill(7, {})

    detail = selectors.cart_detail(user_id=7)

    assert book_service.calls == 0
    assert (detail.lines, detail.total_quantity, detail.total_price) == ([], 0, Decimal("0"))


@pytest.mark.parametrize(
    "fault",
    [
        lambda fake: fake.is_down([1, 2]),
        lambda fake: fake.is_slow([1, 2]),
        lambda fake: fake.answers([1, 2], status=200, body="not json"),
        lambda fake: fake.answers([1, 2], status=503, json={}),
    ],
    ids=["down", "slow", "malformed", "failing"],
)
def test_without_book_service_the_lines_come_without_details(book_service, fault):
    fill(7, {1: 2, 2: 1})
    fault(book_service)

    detail = selectors.cart_detail(user_id=7)

    assert not detail.details_available
    assert [(line.product_id, line.quantity, line.available, line.title) for line in detail.lines] == [
        (1, 2, None, None),
        (2, 1, None, None),
    ]
    assert (detail.total_quantity, detail.total_price) == (3, None)


def test_a_user_without_a_cart_is_404():
    with pytest.raises(NotFound) as raised:
        selectors.cart_detail(user_id=7)
    assert raised.value.code == CartErrorCode.CART_NOT_FOUND


# The reads whose SQL is written once per process (common.statements) give what the
# ORM gives, each field converted as a queryset converts it, and read afresh each time.


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_the_carts_reads_by_key_give_the_values_the_orm_gives(book_service):
    cart = fill(7, {3: 2, 1: 1})
    fill(8, {1: 5})
    book_service.has(book(1), book(3))

    detail = selectors.cart_detail(user_id=7)
    assert detail.updated_at == Cart.objects.get(user_id=7).updated_at
    assert [(line.product_id, line.quantity) for line in detail.lines] == [(3, 2), (1, 1)]  # in the order added
    assert selectors.cart_product_ids(user_id=7) == {1, 3}
    orm_lines = sorted(CartItem.objects.filter(cart=cart), key=lambda line: line.pk)
    read = sorted(selectors.cart_lines(cart_id=cart.pk), key=lambda line: line.pk)
    assert [_fields(line) for line in read] == [_fields(line) for line in orm_lines]
    assert all(not line._state.adding and line._state.db == "default" for line in read)

    CartItem.objects.filter(cart=cart, product_id=1).update(quantity=4)
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() + timedelta(days=1))
    book_service.has(book(1), book(3))
    again = selectors.cart_detail(user_id=7)
    assert again.updated_at == Cart.objects.get(user_id=7).updated_at != detail.updated_at
    assert [(line.product_id, line.quantity) for line in again.lines] == [(3, 2), (1, 4)]
    assert {line.quantity for line in selectors.cart_lines(cart_id=cart.pk)} == {2, 4}
    assert selectors.cart_product_ids(user_id=9) == set()
