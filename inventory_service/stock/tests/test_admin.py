"""The admin is usable for real work: lists with search and filters, and the capacity rule."""

import pytest

from stock import services
from stock.models import Warehouse
from stock.services import ReservationItem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("warehouse", {"q": "Main", "status__exact": "active"}),
        ("stockitem", {"q": "7", "product_type__exact": "book"}),
        ("reservation", {"q": "order-1", "status__exact": "held"}),
    ],
)
def test_lists_search_and_filter(admin_client, put_stock, page, query):
    put_stock(7, 5)
    services.reservation_create(reference="order-1", items=[ReservationItem(product_id=7, quantity=2)])
    response = admin_client.get(f"/admin/stock/{page}/", query)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1


def test_a_capacity_below_the_stock_is_refused_in_the_admin(admin_client, put_stock):
    put_stock(7, 5)
    warehouse = Warehouse.objects.get()
    form = {
        "name": warehouse.name,
        "is_default": "on",
        "address": "",
        "status": "active",
        "book_quantity": 4,
        "clothes_quantity": 0,
        "electronic_quantity": 0,
    }
    response = admin_client.post(f"/admin/stock/warehouse/{warehouse.pk}/change/", form)
    assert response.status_code == 200  # the form again, with the error
    assert "book_quantity" in response.context["adminform"].form.errors
    assert Warehouse.objects.get().book_quantity == 10_000
    response = admin_client.post(f"/admin/stock/warehouse/{warehouse.pk}/change/", form | {"book_quantity": 5})
    assert response.status_code == 302
    assert Warehouse.objects.get().book_quantity == 5
