"""The security suite's shared helpers: the OWASP API Security Top 10 against the real
services, one module of this package per category:

- test_object_access.py: API1, broken object-level authorization
- test_auth.py: API2, broken authentication, and services that refuse calls bypassing
  the gateway
- test_properties.py: API3, broken object-property authorization
- test_resources.py: API4, unrestricted resource consumption
- test_function_access.py: API5, broken function-level authorization
- test_injection.py: API8 (security misconfiguration and injection): injection in every
  search and filter, bad ids in every path
- test_route_inventory.py: API9, improper inventory management: every route of every
  service classified

Customers A and B (conftest.py: the fixtures ann and bob, with shop, made once for the
package) sign up and log in through the gateway as people would; B's token is then aimed
at everything of A's. Every route of every service is classified in ROUTE_ACCESS, and a
test checks that list against the services' OpenAPI schemas, so a new route cannot
escape these checks unclassified."""

from common.registry import SERVICES
from tests.e2e.people import Shopper, read_ok

STAFF_ID = 9601  # the suite's own staff, so the gateway's per-user write limits count it apart
# Every service behind the gateway, from the registry: a new one is in every check below
# (test_route_inventory.py fails until its routes are classified in ROUTE_ACCESS).
PEERS = [name for name in SERVICES if name != "gateway"]

# Every route of every service (as its OpenAPI schema lists it) and who may call it:
# public (no token), customer (a token; ownership checked per object), staff (staff
# only), service (service tokens only).
ROUTE_ACCESS: dict[tuple[str, str, str], str] = {
    ("book", "GET", "/api/authors/"): "public",
    ("book", "POST", "/api/authors/"): "staff",
    ("book", "GET", "/api/authors/{id}/"): "public",
    ("book", "DELETE", "/api/authors/{id}/"): "staff",
    ("book", "GET", "/api/books/"): "public",
    ("book", "POST", "/api/books/"): "staff",
    ("book", "GET", "/api/books/{id}/"): "public",
    ("book", "PATCH", "/api/books/{id}/"): "staff",
    ("book", "DELETE", "/api/books/{id}/"): "staff",
    ("book", "GET", "/api/books/search/"): "public",
    ("book", "GET", "/api/books/suggest/"): "public",
    ("book", "PUT", "/api/books/{id}/cover/"): "staff",
    ("book", "DELETE", "/api/books/{id}/cover/"): "staff",
    ("book", "GET", "/api/categories/"): "public",
    ("book", "POST", "/api/categories/"): "staff",
    ("book", "GET", "/api/categories/{id}/"): "public",
    ("book", "DELETE", "/api/categories/{id}/"): "staff",
    ("book", "POST", "/api/events/"): "service",
    ("cart", "POST", "/api/carts/"): "customer",
    ("cart", "POST", "/api/events/"): "service",
    ("cart", "GET", "/api/carts/{user_id}/"): "customer",
    ("cart", "POST", "/api/carts/{user_id}/items/"): "customer",
    ("cart", "DELETE", "/api/carts/{user_id}/items/"): "customer",
    ("cart", "DELETE", "/api/carts/{user_id}/items/{product_id}/"): "customer",
    ("customer", "GET", "/api/accounts/"): "staff",  # ?ids=: staff and services (the admins' usernames)
    ("customer", "POST", "/api/accounts/"): "public",
    ("customer", "GET", "/api/accounts/{account_id}/"): "customer",
    ("customer", "DELETE", "/api/accounts/{account_id}/"): "customer",
    ("customer", "GET", "/api/accounts/{account_id}/customer/"): "customer",
    ("customer", "GET", "/api/addresses/"): "customer",
    ("customer", "POST", "/api/addresses/"): "customer",
    ("customer", "GET", "/api/addresses/{id}/"): "customer",
    ("customer", "POST", "/api/auth/login/"): "public",
    ("customer", "POST", "/api/auth/refresh/"): "public",
    ("customer", "POST", "/api/auth/logout/"): "public",  # the refresh token is the credential
    ("customer", "POST", "/api/auth/password/"): "customer",
    ("customer", "POST", "/api/auth/password-reset/"): "public",
    ("customer", "POST", "/api/auth/password-reset/confirm/"): "public",  # the link's token is the credential
    ("customer", "POST", "/api/auth/verify-email/"): "public",  # likewise
    ("customer", "POST", "/api/auth/verify-email/resend/"): "customer",
    ("customer", "GET", "/api/customers/"): "staff",
    ("customer", "POST", "/api/customers/"): "customer",
    ("customer", "GET", "/api/customers/{id}/"): "customer",
    ("customer", "GET", "/api/fullnames/"): "customer",
    ("customer", "POST", "/api/fullnames/"): "customer",
    ("customer", "GET", "/api/fullnames/{id}/"): "customer",
    ("inventory", "POST", "/api/events/"): "service",
    ("inventory", "GET", "/api/warehouse/"): "staff",
    ("inventory", "POST", "/api/warehouse/"): "staff",
    ("inventory", "PATCH", "/api/warehouse/"): "staff",
    ("inventory", "GET", "/api/warehouse/capacity/"): "staff",
    ("inventory", "GET", "/api/warehouse/items/"): "public",
    ("inventory", "GET", "/api/warehouse/items/in-stock/"): "public",
    ("inventory", "POST", "/api/warehouse/items/"): "staff",
    ("inventory", "GET", "/api/warehouse/items/{product_id}/"): "public",
    ("inventory", "DELETE", "/api/warehouse/items/{product_id}/"): "staff",
    ("inventory", "POST", "/api/warehouse/reservations/"): "service",
    ("inventory", "DELETE", "/api/warehouse/reservations/{reference}/"): "service",
    ("inventory", "POST", "/api/warehouse/reservations/{reference}/confirm/"): "service",
    ("notification", "POST", "/api/events/"): "service",
    ("notification", "GET", "/api/notifications/"): "customer",
    ("notification", "POST", "/api/notifications/{notification_id}/read/"): "customer",
    ("order", "POST", "/api/events/"): "service",
    ("order", "GET", "/api/orders/"): "customer",
    ("order", "POST", "/api/orders/"): "customer",
    ("order", "GET", "/api/orders/{order_id}/"): "customer",
    ("order", "PATCH", "/api/orders/{order_id}/"): "customer",  # a customer may only cancel: see STAFF_ACTIONS
    ("order", "GET", "/api/orders/{order_id}/payment/"): "service",
    ("order", "POST", "/api/orders/{order_id}/payment/"): "service",
    ("payment", "POST", "/api/events/"): "service",
    ("payment", "GET", "/api/payments/"): "customer",
    ("payment", "POST", "/api/payments/"): "customer",
    ("payment", "GET", "/api/payments/{payment_id}/"): "customer",
    ("payment", "POST", "/api/payments/{payment_id}/refund/"): "staff",
}


def customer_with_cart(stack, http, prefix: str, product_id: int, quantity: int) -> tuple[dict, Shopper]:
    """A new customer (signed up, with a profile) with `quantity` of the product in the cart."""
    shopper = Shopper.signing_up(stack, http, prefix, customer=True)
    shopper.put_in_cart(product_id, quantity)
    return shopper.account, shopper


def snapshot(stack, http, user: dict) -> dict:
    """Everything of a customer's, read with their own token."""

    def read(path: str, **params) -> dict:
        return read_ok(stack, http, user["headers"], path, **params)

    cart = read(f"/api/carts/{user['id']}/")
    return {
        "account": read(f"/api/accounts/{user['id']}/"),
        "customer": read(f"/api/accounts/{user['id']}/customer/"),
        "cart": [(item["product_id"], item["quantity"]) for item in cart["items"]],
        "orders": [(o["id"], o["status"], o["total"], o["user_id"]) for o in read("/api/orders/")["results"]],
        "payments": [(p["id"], p["status"], p["amount"]) for p in read("/api/payments/")["results"]],
        # New notifications may still arrive; the ones there were keep their read state.
        "notifications": {
            n["id"]: n["read"]
            for n in read("/api/notifications/", page_size=100)["results"]
            if n["id"] <= user.get("notification", {}).get("id", 0)
        },
    }


def fill(template: str, ids: dict) -> str:
    for name, value in ids.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def path_ids(shop, ann) -> dict:
    book = shop["book"]
    return {
        "id": book["id"],
        "product_id": book["id"],
        "user_id": ann["id"],
        "account_id": ann["id"],
        "order_id": ann["pending_order"]["id"],
        "payment_id": ann["payment"]["id"],
        "notification_id": ann["notification"]["id"],
        "reference": "order-security-probe",
        "other_user_id": ann["id"] + 100_000,
    }


def matches(template: str, path: str) -> bool:
    """Does a concrete path fit a schema path template ({name} is one segment)?"""
    parts, concrete = template.strip("/").split("/"), path.strip("/").split("/")
    return len(parts) == len(concrete) and all(
        t == c or (t.startswith("{") and t.endswith("}")) for t, c in zip(parts, concrete, strict=True)
    )
