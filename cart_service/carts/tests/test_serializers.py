"""The answers written in one step (CartItemSerializer, CartDetailSerializer) are the
bytes DRF's own field-by-field writing gives."""

import pytest
from rest_framework import serializers

from carts import selectors, services
from carts.models import CartItem
from carts.serializers import CartDetailSerializer, CartItemSerializer
from carts.tests.conftest import book
from common.renderers import JSONRenderer
from common.serializers import represent

pytestmark = pytest.mark.django_db


def assert_written_as_drf_would(serializer_class, instance) -> None:
    ours = represent(serializer_class, instance)
    drf_own = serializers.Serializer.to_representation(serializer_class(), instance)
    assert type(ours) is dict
    assert JSONRenderer().render(ours) == JSONRenderer().render(drf_own)


def test_a_line_reads_as_drf_writes_it(book_service):
    book_service.has(book(5))
    made, _ = services.cart_item_add(user_id=7, product_id=5, quantity=2)

    for line in (made, CartItem.objects.get()):  # as written, and as read back
        assert_written_as_drf_would(CartItemSerializer, line)


@pytest.mark.parametrize(
    "answer",
    [
        # Book 1 priced, book 2 deleted since, book 3 at the largest price.
        lambda fake: fake.has(book(1, "Lão Hạc", "12.50"), book(3, price="99999999.99"), asked=[1, 2, 3]),
        lambda fake: fake.is_down([1, 2, 3]),
    ],
    ids=["details", "no details"],
)
def test_a_cart_reads_as_drf_writes_it(book_service, answer):
    cart, _ = services.cart_create(user_id=7)
    CartItem.objects.bulk_create(CartItem(cart=cart, product_id=p, quantity=q) for p, q in ((1, 2), (2, 1), (3, 999)))
    answer(book_service)

    assert_written_as_drf_would(CartDetailSerializer, selectors.cart_detail(user_id=7))


def test_an_empty_cart_reads_as_drf_writes_it():
    services.cart_create(user_id=7)

    assert_written_as_drf_would(CartDetailSerializer, selectors.cart_detail(user_id=7))
