"""The admin: carts listed with their size, found by user id, edited with their lines inline."""

import pytest

from carts import services
from carts.models import CartItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def cart():
    cart, _ = services.cart_create(user_id=4242)
    CartItem.objects.create(cart=cart, product_id=11, quantity=3)
    CartItem.objects.create(cart=cart, product_id=12, quantity=4)
    services.cart_create(user_id=77)
    return cart


def test_the_list_shows_lines_and_items_and_finds_by_user_id(admin_client, cart):
    page = admin_client.get("/admin/carts/cart/", {"q": "4242"})

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [cart]
    row = page.context["cl"].result_list[0]
    assert (row._line_count, row._total_quantity) == (2, 7)


def test_the_cart_page_shows_its_lines_inline(admin_client, cart):
    page = admin_client.get(f"/admin/carts/cart/{cart.pk}/change/")

    assert page.status_code == 200
    inline = page.context["inline_admin_formsets"][0]
    assert [form.original.product_id for form in inline if form.original] == [11, 12]  # then the blank form


def inline_post(cart, **line_changes) -> dict:
    lines = list(cart.items.all())
    data = {
        "user_id": cart.user_id,
        "items-TOTAL_FORMS": len(lines),
        "items-INITIAL_FORMS": len(lines),
        "items-MIN_NUM_FORMS": 0,
        "items-MAX_NUM_FORMS": 1000,
    }
    for index, line in enumerate(lines):
        data |= {
            f"items-{index}-id": line.pk,
            f"items-{index}-cart": cart.pk,
            f"items-{index}-product_id": line.product_id,
            f"items-{index}-quantity": line.quantity,
        }
    return data | line_changes


def test_staff_change_a_quantity_inline(admin_client, cart):
    response = admin_client.post(f"/admin/carts/cart/{cart.pk}/change/", inline_post(cart, **{"items-0-quantity": 9}))

    assert response.status_code == 302
    assert cart.items.get(product_id=11).quantity == 9


@pytest.mark.parametrize("quantity", [0, 1000])
def test_the_admin_keeps_quantities_within_1_to_999(admin_client, cart, quantity):
    data = inline_post(cart, **{"items-0-quantity": quantity})
    response = admin_client.post(f"/admin/carts/cart/{cart.pk}/change/", data)

    assert response.status_code == 200  # the form again, with the error
    assert cart.items.get(product_id=11).quantity == 3
