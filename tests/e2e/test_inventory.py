"""The inventory through the gateway, and its exactness under concurrent requests
against the real waitress processes."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
import requests

from tests.e2e.harness import JWT_SIGNING_KEY
from tests.e2e.shop import bearer

CONCURRENT_REQUESTS = 60
TIMEOUT = 60  # seconds; far above what one request should take, so a hang fails instead of waiting forever


def service_token() -> str:
    """A token as another service (order_service) carries it: the claims of common.auth.service_token."""
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 600, "iat": now, "jti": uuid.uuid4().hex}
    claims |= {"user_id": None, "username": "service:order", "is_staff": False, "service": "order"}
    return jwt.encode(claims, JWT_SIGNING_KEY, algorithm="HS256")


@pytest.fixture(scope="module")
def staff(stack):
    return bearer(stack.token(user_id=1, is_staff=True))


@pytest.fixture(scope="module")
def warehouse(stack, staff):
    """The default warehouse (made here, or by an earlier test of the session)."""
    response = requests.post(f"{stack.gateway}/api/warehouse/", json={}, headers=staff, timeout=TIMEOUT)
    assert response.status_code in (201, 409), response.text
    return requests.get(f"{stack.gateway}/api/warehouse/", headers=staff, timeout=TIMEOUT).json()


@pytest.fixture
def new_book(stack, staff):
    """new_book() -> the id of a book just created in book_service."""

    def create() -> int:
        with requests.Session() as http:
            suffix = uuid.uuid4().hex[:8]
            author = http.post(
                f"{stack.gateway}/api/authors/",
                json={"name": f"Author {suffix}", "email": f"{suffix}@example.com", "address": ""},
                headers=staff,
            )
            category = http.post(f"{stack.gateway}/api/categories/", json={"name": f"Kho {suffix}"}, headers=staff)
            book = http.post(
                f"{stack.gateway}/api/books/",
                json={
                    "title": f"Sách {suffix}",
                    "author_id": author.json()["id"],
                    "category_id": category.json()["id"],
                    "published_date": "2020-01-01",
                    "price": "10.00",
                    "description": "",
                },
                headers=staff,
            )
            assert book.status_code == 201, book.text
            return book.json()["id"]

    return create


def add_stock(stack, staff, product_id: int, quantity: int) -> requests.Response:
    return requests.post(
        f"{stack.gateway}/api/warehouse/items/",
        json={"product_id": product_id, "quantity": quantity},
        headers=staff,
        timeout=TIMEOUT,
    )


def level(stack, product_id: int) -> dict:
    return requests.get(f"{stack.gateway}/api/warehouse/items/{product_id}/", timeout=TIMEOUT).json()


def test_staff_stocks_a_book_and_anyone_reads_the_level(stack, http, staff, warehouse, new_book):
    book_id = new_book()
    assert add_stock(stack, staff, book_id, 10).status_code == 201
    removed = http.delete(f"{stack.gateway}/api/warehouse/items/{book_id}/", params={"quantity": 4}, headers=staff)
    assert removed.json()["available"] == 6
    too_many = http.delete(f"{stack.gateway}/api/warehouse/items/{book_id}/", params={"quantity": 7}, headers=staff)
    assert (too_many.status_code, too_many.json()["error"]["code"]) == (409, "insufficient_stock")
    assert level(stack, book_id)["available"] == 6
    batch = http.get(f"{stack.gateway}/api/warehouse/items/", params={"ids": f"{book_id},999999"}).json()
    assert [(item["product_id"], item["available"]) for item in batch["results"]] == [(book_id, 6)]
    assert batch["missing_ids"] == [999999]
    info = http.get(f"{stack.gateway}/api/warehouse/", headers=staff).json()
    assert info["product_types"]["book"]["used"] >= 6
    check = http.get(
        f"{stack.gateway}/api/warehouse/capacity/", params={"product_id": book_id, "quantity": 1}, headers=staff
    ).json()
    assert (check["fits"], check["requested"]) == (True, 1)


def test_a_customer_cannot_change_stock_or_reserve(stack, http, warehouse):
    customer = bearer(stack.token(user_id=2))
    response = http.post(
        f"{stack.gateway}/api/warehouse/items/", json={"product_id": 1, "quantity": 1}, headers=customer
    )
    assert response.status_code == 403
    reservation = {"reference": "r", "items": [{"product_id": 1, "quantity": 1}]}
    assert http.post(f"{stack.gateway}/api/warehouse/reservations/", json=reservation).status_code == 401
    assert (
        http.post(f"{stack.gateway}/api/warehouse/reservations/", json=reservation, headers=customer).status_code == 403
    )


def test_a_book_that_does_not_exist_is_refused(stack, staff, warehouse):
    response = add_stock(stack, staff, 999999, 1)
    assert response.status_code == 400, response.text
    assert "product_id" in response.json()["error"]["details"]


def test_adding_a_book_while_book_service_is_down_is_503(stack, staff, warehouse, new_book):
    book_id = new_book()
    with stack.stopped("book"):
        response = add_stock(stack, staff, book_id, 1)
        assert response.status_code == 503, response.text
        assert response.json()["error"]["details"] == {"service": "book"}
        assert requests.get(f"{stack.gateway}/api/warehouse/items/{book_id}/", timeout=TIMEOUT).status_code == 404


def test_a_reservation_is_all_or_nothing_idempotent_and_released(stack, http, staff, warehouse, new_book):
    service = bearer(service_token())
    stocked, missing = new_book(), new_book()
    add_stock(stack, staff, stocked, 5)
    url = f"{stack.gateway}/api/warehouse/reservations/"
    short = http.post(
        url,
        json={
            "reference": "e2e-short",
            "items": [{"product_id": stocked, "quantity": 2}, {"product_id": missing, "quantity": 1}],
        },
        headers=service,
    )
    assert short.status_code == 409
    assert [line["product_id"] for line in short.json()["error"]["details"]["items"]] == [missing]
    assert level(stack, stocked)["available"] == 5
    body = {"reference": "e2e-order-1", "items": [{"product_id": stocked, "quantity": 2}]}
    first, replay = http.post(url, json=body, headers=service), http.post(url, json=body, headers=service)
    assert (first.status_code, replay.status_code, replay.json()) == (201, 201, first.json())
    assert (level(stack, stocked)["available"], level(stack, stocked)["reserved"]) == (3, 2)
    for _ in range(2):
        assert http.delete(f"{url}e2e-order-1/", headers=service).json()["status"] == "released"
    assert (level(stack, stocked)["available"], level(stack, stocked)["reserved"]) == (5, 0)


def fire(requests_to_send: list) -> list[requests.Response]:
    """Sends every request at once, each on its own connection."""

    def send(call):
        method, url, kwargs = call
        return requests.request(method, url, timeout=TIMEOUT, **kwargs)

    with ThreadPoolExecutor(max_workers=len(requests_to_send)) as pool:
        return list(pool.map(send, requests_to_send))


def test_concurrent_removals_and_reservations_never_oversell(stack, staff, warehouse, new_book):
    book_id = new_book()
    assert add_stock(stack, staff, book_id, 100).status_code == 201
    service = bearer(service_token())
    removal = (
        "DELETE",
        f"{stack.gateway}/api/warehouse/items/{book_id}/",
        {"params": {"quantity": 3}, "headers": staff},
    )
    calls = [removal] * CONCURRENT_REQUESTS + [
        (
            "POST",
            f"{stack.gateway}/api/warehouse/reservations/",
            {
                "json": {"reference": f"race-{book_id}-{n}", "items": [{"product_id": book_id, "quantity": 2}]},
                "headers": service,
            },
        )
        for n in range(CONCURRENT_REQUESTS)
    ]
    responses = fire(calls)
    removals, reservations = responses[:CONCURRENT_REQUESTS], responses[CONCURRENT_REQUESTS:]
    assert {r.status_code for r in removals} <= {200, 409}, [
        r.text for r in removals if r.status_code not in (200, 409)
    ]
    assert {r.status_code for r in reservations} <= {201, 409}, [
        r.text for r in reservations if r.status_code not in (201, 409)
    ]
    removed = 3 * sum(r.status_code == 200 for r in removals)
    reserved = 2 * sum(r.status_code == 201 for r in reservations)
    final = level(stack, book_id)
    assert final["reserved"] == reserved
    assert final["available"] == 100 - removed - reserved
    # 300 units were asked for 100: some requests failed, and each failed only
    # because too little was left, so what is left is less than the smallest ask.
    assert final["available"] < 2
    assert all(r.json()["error"]["code"] == "insufficient_stock" for r in responses if r.status_code == 409)


def test_concurrent_replays_of_one_reservation_take_the_stock_once(stack, staff, warehouse, new_book):
    book_id = new_book()
    add_stock(stack, staff, book_id, 10)
    body = {"reference": f"replayed-{book_id}", "items": [{"product_id": book_id, "quantity": 3}]}
    call = ("POST", f"{stack.gateway}/api/warehouse/reservations/", {"json": body, "headers": bearer(service_token())})
    responses = fire([call] * CONCURRENT_REQUESTS)
    assert {r.status_code for r in responses} == {201}, {r.text for r in responses}
    assert sum("Idempotent-Replayed" not in r.headers for r in responses) == 1
    assert (level(stack, book_id)["available"], level(stack, book_id)["reserved"]) == (7, 3)


def book_usage(stack, staff) -> dict:
    info = requests.get(f"{stack.gateway}/api/warehouse/", headers=staff, timeout=TIMEOUT).json()
    return info["product_types"]["book"]


def set_book_capacity(stack, staff, capacity: int) -> None:
    url = f"{stack.gateway}/api/warehouse/"
    response = requests.patch(url, json={"book_quantity": capacity}, headers=staff, timeout=TIMEOUT)
    assert response.status_code == 200, response.text


def test_concurrent_additions_never_exceed_the_capacity(stack, staff, warehouse, new_book):
    book_id = new_book()
    used = book_usage(stack, staff)["used"]
    set_book_capacity(stack, staff, used + 50)
    try:
        body = {"product_id": book_id, "quantity": 5}
        addition = ("POST", f"{stack.gateway}/api/warehouse/items/", {"json": body, "headers": staff})
        responses = fire([addition] * CONCURRENT_REQUESTS)
        assert sorted(r.status_code for r in responses) == [201] * 10 + [409] * (CONCURRENT_REQUESTS - 10)
        assert all(r.json()["error"]["code"] == "capacity_exceeded" for r in responses if r.status_code == 409)
        assert level(stack, book_id)["available"] == 50
        usage = book_usage(stack, staff)
        assert (usage["used"], usage["free"]) == (used + 50, 0)
    finally:
        set_book_capacity(stack, staff, warehouse["book_quantity"])
