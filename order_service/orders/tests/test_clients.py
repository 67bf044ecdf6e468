"""The cart client: an answer that is not a cart as the contract has it is the cart
service unavailable (503 naming it), never a 500 and never an order."""

import pytest

from common.errors import ServiceUnavailable
from orders.clients import carts
from orders.tests.conftest import cart_body, cart_url

pytestmark = pytest.mark.django_db


def test_a_cart_is_read_with_its_prices(mocked_responses):
    mocked_responses.get(cart_url(5), json=cart_body(5, [(11, 2, "10.50")]))
    cart = carts.cart_get(user_id=5)
    assert [(line.product_id, line.quantity, str(line.unit_price), line.available) for line in cart.lines] == [
        (11, 2, "10.50", True)
    ]


def _with_line(**line) -> dict:
    body = cart_body(5, [(11, 1, "10.00")])
    body["items"][0] |= line
    return body


@pytest.mark.parametrize(
    "body",
    [
        {"items": "none"},
        {"details_available": True},
        [],
        _with_line(unit_price="NaN"),
        _with_line(unit_price="Infinity"),
        _with_line(unit_price="-1.00"),
        _with_line(unit_price=True),
        _with_line(quantity="2"),
        _with_line(quantity=0),
        _with_line(available="yes"),
        _with_line(title=7),
    ],
)
def test_a_body_that_is_not_a_cart_is_the_cart_service_unavailable(mocked_responses, body):
    mocked_responses.get(cart_url(5), json=body)
    with pytest.raises(ServiceUnavailable) as raised:
        carts.cart_get(user_id=5)
    assert raised.value.details == {"service": "cart"}
