"""`make run` stocks the demo catalog once, through the gateway's API."""

import json

import pytest
import responses

from common.demo import DEMO_STAFF
from tools.demo_stock import UNITS_PER_BOOK, stock_demo_catalog

GATEWAY = "http://gateway.test"


@pytest.fixture
def api():
    with responses.RequestsMock() as mocked:
        yield mocked


def login_ok(api):
    api.post(
        f"{GATEWAY}/api/auth/login/",
        json={"access": "staff-token", "refresh": "r"},
        match=[responses.matchers.json_params_matcher({k: DEMO_STAFF[k] for k in ("username", "password")})],
    )


def test_a_new_warehouse_gets_every_book_stocked(api):
    login_ok(api)
    api.post(f"{GATEWAY}/api/warehouse/", json={"id": 1}, status=201)
    api.get(f"{GATEWAY}/api/books/", json={"count": 2, "results": [{"id": 3}, {"id": 9}]})
    items = api.post(f"{GATEWAY}/api/warehouse/items/", json={}, status=201)
    assert "2 books" in stock_demo_catalog(GATEWAY)
    assert [json.loads(call.request.body) for call in items.calls] == [
        {"product_id": 3, "quantity": UNITS_PER_BOOK},
        {"product_id": 9, "quantity": UNITS_PER_BOOK},
    ]
    assert all(call.request.headers["Authorization"] == "Bearer staff-token" for call in items.calls)


def test_an_existing_warehouse_gets_nothing_more(api):
    login_ok(api)
    api.post(f"{GATEWAY}/api/warehouse/", json={"error": {"code": "warehouse_exists"}}, status=409)
    assert "nothing added" in stock_demo_catalog(GATEWAY)  # no other call was registered, so none was made


def test_without_the_demo_staff_login_it_skips(api):
    api.post(f"{GATEWAY}/api/auth/login/", json={"error": {}}, status=401)
    assert "skipped" in stock_demo_catalog(GATEWAY)
