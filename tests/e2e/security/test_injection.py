"""API8 (security misconfiguration and injection): hostile strings in every search and
filter and bad ids in every path are a 2xx or 4xx, never a 5xx, and match nothing they
should not."""

import pytest

from tests.e2e.security import ROUTE_ACCESS, fill, path_ids

INJECTIONS = {
    "sql_or": "' OR 1=1 --",
    "sql_union": "1 UNION SELECT password FROM accounts_account --",
    "sql_drop": "'; DROP TABLE orders_order; --",
    "percent": "%",
    "underscore": "_",
    "backslash": "\\",
    "nul": "\x00",
    "very_long": "a" * 2000,
    "unicode": "Ωμέγα 🙂 \U0001d518\U0001d52b ﷽ \u202e",  # astral, right-to-left override
    "huge_number": "9" * 40,
    "negative": "-1",
    "float": "1e309",
    "path": "../../etc/passwd",
    "json": '{"$gt": ""}',
}
# (path, parameter, who calls): every search and filter of the API.
FILTERS = [
    ("/api/books/search/", "search_term", "public"),
    ("/api/books/", "author", "public"),
    ("/api/books/", "category", "public"),
    ("/api/books/", "min_price", "public"),
    ("/api/books/", "max_price", "public"),
    ("/api/books/", "ordering", "public"),
    ("/api/books/", "ids", "public"),
    ("/api/books/", "page", "public"),
    ("/api/authors/", "name", "public"),
    ("/api/categories/", "name", "public"),
    ("/api/customers/", "search", "staff"),
    ("/api/customers/", "account_id", "staff"),
    ("/api/orders/", "status", "customer"),
    ("/api/orders/", "user_id", "customer"),
    ("/api/payments/", "order_id", "customer"),
    ("/api/payments/", "user_id", "customer"),
    ("/api/payments/", "status", "customer"),
    ("/api/notifications/", "user_id", "customer"),
    ("/api/notifications/", "unread", "customer"),
    ("/api/warehouse/items/", "ids", "public"),
    ("/api/warehouse/items/", "product_type", "public"),
    ("/api/warehouse/items/{product_id}/", "product_type", "public"),
    ("/api/warehouse/capacity/", "product_id", "staff"),
    ("/api/warehouse/capacity/", "quantity", "staff"),
    ("/api/warehouse/capacity/", "product_type", "staff"),
]
TEXT_SEARCHES = {"search_term", "name", "search"}


@pytest.mark.parametrize("payload", INJECTIONS.values(), ids=INJECTIONS.keys())
@pytest.mark.parametrize(("template", "parameter", "caller"), FILTERS, ids=[f"{p} {q}" for p, q, _ in FILTERS])
def test_injection_strings_in_searches_and_filters(stack, http, shop, ann, template, parameter, caller, payload):
    headers = {"public": {}, "staff": shop["staff"], "customer": ann["headers"]}[caller]
    path = fill(template, path_ids(shop, ann))

    response = http.get(f"{stack.gateway}{path}", params={parameter: payload}, headers=headers)

    assert response.status_code < 500, response.text[:500]
    if response.status_code != 200:
        assert 400 <= response.status_code < 500
        return
    body = response.json()
    if caller == "customer":  # whatever the filter said, only the caller's own
        assert {item["user_id"] for item in body["results"]} <= {ann["id"]}
    if parameter in TEXT_SEARCHES and payload in ("' OR 1=1 --", "%", "_", "\\"):
        assert body["count"] == 0, f"{payload!r} matched {body['count']}"  # taken literally, not as SQL or a wildcard


@pytest.mark.parametrize("bad_id", ["0", "-1", str(2**63), "9" * 40, "abc", "%00", "1.5"])
@pytest.mark.parametrize(
    "template",
    sorted({p for (_, _, p) in ROUTE_ACCESS if "{" in p and "{reference}" not in p}),
)
def test_bad_ids_in_paths_are_404_or_400(stack, http, shop, template, bad_id):
    path = template
    for name in ("id", "product_id", "user_id", "account_id", "order_id", "payment_id", "notification_id"):
        path = path.replace("{" + name + "}", bad_id)

    response = http.get(f"{stack.gateway}{path}", headers=shop["staff"])

    assert response.status_code in (400, 404, 405), response.text[:500]
