"""API4, unrestricted resource consumption: page sizes, body sizes, batch sizes and the
gateway's write and sign-up rate limits."""

import json
import uuid

import pytest

from tests.e2e.people import PASSWORD
from tests.e2e.security import PEERS
from tests.e2e.shop import bearer

PAGED_LISTS = [
    ("book", "/api/books/"),
    ("book", "/api/authors/"),
    ("book", "/api/categories/"),
    ("book", "/api/books/search/?search_term=a"),
    ("customer", "/api/fullnames/"),
    ("customer", "/api/addresses/"),
    ("customer", "/api/customers/"),
    ("order", "/api/orders/"),
    ("payment", "/api/payments/"),
    ("notification", "/api/notifications/"),
]


def test_page_size_is_capped_at_100(stack, http, shop):
    staff = shop["staff"]
    tag = uuid.uuid4().hex[:8]
    for n in range(101):  # straight to book_service: 101 writes, not the gateway's business here
        made = http.post(f"{stack.url('book')}/api/categories/", json={"name": f"Cap {tag} {n}"}, headers=staff)
        assert made.status_code == 201, made.text

    page = http.get(f"{stack.gateway}/api/categories/", params={"name": f"cap {tag}", "page_size": 100000})

    assert page.status_code == 200, page.text
    assert (page.json()["count"], len(page.json()["results"])) == (101, 100)
    assert page.json()["next"]


@pytest.mark.parametrize("page_size", ["1000000", str(10**30), "-1", "0", "abc", "1e3", "\x00"])
@pytest.mark.parametrize(("service", "path"), PAGED_LISTS, ids=[p for _, p in PAGED_LISTS])
def test_any_page_size_is_answered_without_a_5xx_and_at_most_100(stack, http, shop, ann, service, path, page_size):
    headers = shop["staff"] if path == "/api/customers/" else ann["headers"]

    response = http.get(f"{stack.gateway}{path}", params={"page_size": page_size}, headers=headers)

    assert response.status_code < 500, response.text
    if response.status_code == 200:
        assert len(response.json()["results"]) <= 100


def test_a_chunked_body_over_the_limit_is_refused_at_the_gateway(stack, http, shop):
    """The gateway takes bodies with a Content-Length only (tools/granian_worker.py): a
    chunked one is a 411, whatever its size, before any of it is forwarded."""

    def chunks():
        for _ in range(17):
            yield b"x" * 65536  # 1 MiB and 64 KiB, with no Content-Length

    response = http.post(
        f"{stack.gateway}/api/books/", data=chunks(), headers=shop["staff"] | {"Content-Type": "application/json"}
    )

    assert response.status_code == 411, response.text
    assert response.json()["error"]["code"] == "length_required"


@pytest.mark.parametrize("service", PEERS)
def test_a_huge_body_sent_straight_to_a_service_is_refused_without_a_5xx(stack, http, shop, service):
    method, path = {
        "book": ("POST", "/api/authors/"),
        "order": ("POST", "/api/orders/"),
        "customer": ("POST", "/api/accounts/"),
        "cart": ("POST", "/api/carts/"),
        "payment": ("POST", "/api/payments/"),
        "notification": ("POST", "/api/notifications/1/read/"),
        "inventory": ("POST", "/api/warehouse/items/"),
    }[service]
    body = json.dumps({"name": "x" * (4 * 1024 * 1024)}).encode()  # past Django's 2.5 MB in-memory limit

    response = http.request(
        method,
        f"{stack.url(service)}{path}",
        data=body,
        headers=shop["staff"] | {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
    )

    assert 400 <= response.status_code < 500, response.text[:500]


def test_too_many_ids_in_one_batch_read_are_refused(stack, http):
    ids = ",".join(str(n) for n in range(1, 102))
    for path in ("/api/books/", "/api/warehouse/items/"):
        response = http.get(f"{stack.gateway}{path}", params={"ids": ids})
        assert response.status_code == 400, response.text
        assert "ids" in response.json()["error"]["details"]


def test_write_and_sign_up_rate_limits_hold(stack, http):
    with stack.extra_gateway(GATEWAY_RATE_WRITES="3/hour", GATEWAY_RATE_SIGNUP="2/hour") as gateway:
        mallory, other = bearer(stack.token(user_id=960_001)), bearer(stack.token(user_id=960_002))
        writes = [
            http.post(f"{gateway}/api/carts/", json={"user_id": 960_001}, headers=mallory).status_code for _ in range(5)
        ]
        assert writes[:3] == [201, 200, 200], writes
        assert writes[3:] == [429, 429], writes
        refused = http.post(f"{gateway}/api/carts/", json={"user_id": 960_001}, headers=mallory)
        assert refused.json()["error"]["code"] == "throttled"
        assert int(refused.headers["Retry-After"]) >= 1
        assert http.post(f"{gateway}/api/carts/", json={"user_id": 960_002}, headers=other).status_code == 201

        sign_ups = [
            http.post(
                f"{gateway}/api/accounts/",
                json={
                    "username": (name := f"flood{uuid.uuid4().hex[:8]}"),
                    "password": PASSWORD,
                    "email": f"{name}@example.com",
                },
            ).status_code
            for _ in range(3)
        ]
        assert 429 not in sign_ups[:2], sign_ups
        assert sign_ups[2] == 429, sign_ups
