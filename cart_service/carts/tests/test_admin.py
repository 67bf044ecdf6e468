"""The admin: carts listed with their size and found by user id, customers by username
and lines by title (one call to each peer per page); records nothing edits by hand."""

import pytest
import requests
from django.conf import settings

from carts import services
from carts.models import CartItem

pytestmark = pytest.mark.django_db

CARTS = "/admin/carts/cart/"


@pytest.fixture
def cart():
    cart, _ = services.cart_create(user_id=4242)
    CartItem.objects.create(cart=cart, product_id=11, quantity=3)
    CartItem.objects.create(cart=cart, product_id=12, quantity=4)
    services.cart_create(user_id=77)
    return cart


def test_the_list_shows_lines_items_and_usernames_and_finds_by_user_id(admin_client, cart, fake_names):
    asked = fake_names("customer")

    page = admin_client.get(CARTS, {"q": "4242"})

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [cart]
    row = page.context["cl"].result_list[0]
    assert (row._line_count, row._total_quantity) == (2, 7)
    assert "4242 · user4242" in page.content.decode()
    assert asked == [[4242]]


def test_the_cart_page_shows_its_lines_by_title_read_only(admin_client, cart, fake_names):
    usernames, titles = fake_names("customer"), fake_names("book")

    page = admin_client.get(f"{CARTS}{cart.pk}/change/")

    assert page.status_code == 200
    inline = page.context["inline_admin_formsets"][0]
    assert [form.original.product_id for form in inline] == [11, 12]  # and no blank form to add one
    body = page.content.decode()
    assert "11 · Book 11" in body
    assert "12 · Book 12" in body
    assert (usernames, titles) == ([[4242]], [[11, 12]])  # one call to each for the whole page
    assert 'name="items-0-quantity"' not in body


def test_nothing_is_added_deleted_or_edited_by_hand(admin_client, cart, fake_names):
    assert admin_client.get(f"{CARTS}add/").status_code == 403
    assert admin_client.get(f"{CARTS}{cart.pk}/delete/").status_code == 403
    assert admin_client.post(f"{CARTS}{cart.pk}/change/", {"items-0-quantity": 9}).status_code == 403
    assert cart.items.get(product_id=11).quantity == 3


def test_a_peer_down_shows_the_ids_with_a_note(admin_client, cart, mocked_responses):
    mocked_responses.get(f"{settings.SERVICE_URLS['book']}/api/books/", body=requests.ConnectionError("down"))
    mocked_responses.get(f"{settings.SERVICE_URLS['customer']}/api/accounts/", body=requests.ConnectionError("down"))

    page = admin_client.get(f"{CARTS}{cart.pk}/change/")

    assert page.status_code == 200
    body = page.content.decode()
    assert "11 (book_service unavailable)" in body
    assert "4242 (customer_service unavailable)" in body
