"""API1, broken object-level authorization: customer B's token on everything of customer
A's, through the gateway and straight at the service; A's things read back unchanged."""

import uuid

import pytest

from tests.e2e.security import ROUTE_ACCESS, matches, snapshot


def bola_calls(ann: dict, book_id: int) -> list[tuple[str, str, dict | None, dict]]:
    """(method, path, body, extra headers): B reading or changing something of A's."""
    a, order, pending = ann["id"], ann["paid_order"]["id"], ann["pending_order"]["id"]
    return [
        ("GET", f"/api/accounts/{a}/", None, {}),
        ("DELETE", f"/api/accounts/{a}/", None, {}),
        ("GET", f"/api/accounts/{a}/customer/", None, {}),
        ("GET", f"/api/customers/{ann['customer']['id']}/", None, {}),
        ("GET", f"/api/fullnames/{ann['fullname_id']}/", None, {}),
        ("GET", f"/api/addresses/{ann['address_id']}/", None, {}),
        (
            "POST",
            "/api/customers/",
            {"account_id": a, "fullname_id": ann["fullname_id"], "address_id": ann["address_id"]},
            {},
        ),
        ("GET", f"/api/carts/{a}/", None, {}),
        ("POST", "/api/carts/", {"user_id": a}, {}),
        ("POST", f"/api/carts/{a}/items/", {"product_id": book_id, "quantity": 5}, {}),
        ("DELETE", f"/api/carts/{a}/items/", None, {}),
        ("DELETE", f"/api/carts/{a}/items/{book_id}/", None, {}),
        ("GET", f"/api/orders/{order}/", None, {}),
        ("PATCH", f"/api/orders/{pending}/", {"status": "cancelled"}, {}),
        ("GET", f"/api/orders/?user_id={a}", None, {}),
        ("POST", "/api/orders/", {"user_id": a}, {}),
        ("GET", f"/api/payments/{ann['payment']['id']}/", None, {}),
        ("GET", f"/api/payments/?order_id={order}", None, {}),
        ("GET", f"/api/payments/?user_id={a}", None, {}),
        ("POST", "/api/payments/", {"order_id": pending, "method": "cod"}, {"Idempotency-Key": uuid.uuid4().hex}),
        ("GET", f"/api/notifications/?user_id={a}", None, {}),
        ("POST", f"/api/notifications/{ann['notification']['id']}/read/", None, {}),
    ]


BOLA_NAMES = [
    "account read",
    "account delete",
    "customer by account",
    "customer read",
    "full name read",
    "address read",
    "customer from A's parts",
    "cart read",
    "cart create",
    "cart add",
    "cart clear",
    "cart remove",
    "order read",
    "order cancel",
    "orders list",
    "order create",
    "payment read",
    "payments by order",
    "payments by user",
    "payment create",
    "notifications list",
    "notification mark read",
]


@pytest.mark.parametrize("target", ["gateway", "direct"])
@pytest.mark.parametrize("call", range(len(BOLA_NAMES)), ids=BOLA_NAMES)
def test_customer_b_cannot_read_or_change_customer_as_things(stack, http, shop, ann, bob, call, target):
    method, path, body, headers = bola_calls(ann, shop["book"]["id"])[call]
    service = next(s for (s, m, p), _ in ROUTE_ACCESS.items() if matches(p, path.split("?")[0]) and m == method)
    base = stack.gateway if target == "gateway" else stack.url(service)
    before = snapshot(stack, http, ann)

    response = http.request(method, f"{base}{path}", json=body, headers=bob["headers"] | headers)

    assert refused_or_as_if_absent(response), response.text
    assert snapshot(stack, http, ann) == before


def refused_or_as_if_absent(response) -> bool:
    """B is refused (403, 404), or answered as if A's thing did not exist: nothing listed
    for A's order, A's order named in a payment the 400 of a missing one."""
    if response.status_code in (403, 404):
        return True
    body = response.json()
    if response.status_code == 200:
        return body.get("count") == 0
    return response.status_code == 400 and "order_id" in body["error"]["details"]


def test_bs_own_lists_hold_nothing_of_as(stack, http, ann, bob):
    for path in ("/api/orders/", "/api/payments/", "/api/notifications/", "/api/fullnames/", "/api/addresses/"):
        page = http.get(f"{stack.gateway}{path}", params={"page_size": 100}, headers=bob["headers"])
        assert page.status_code == 200, page.text
        owners = {item.get("user_id", item.get("account_id")) for item in page.json()["results"]}
        assert owners <= {bob["id"]}, path
