"""The OWASP API Security Top 10 against the real services, each check its own test:
broken object-level authorization (API1), broken authentication (API2), object-property
authorization (API3), unrestricted resource consumption (API4), broken function-level
authorization (API5), injection in every search and filter (API8: security
misconfiguration and injection), and services that refuse calls bypassing the gateway.

Customers A and B sign up and log in through the gateway as people would; B's token
is then aimed at everything of A's. Every route of every service is classified in
ROUTE_ACCESS, and a test checks that list against the services' OpenAPI schemas, so a
new route cannot escape these checks unclassified."""

import base64
import itertools
import json
import time
import uuid

import jwt
import pytest
import requests

from tests.e2e.harness import JWT_SIGNING_KEY
from tests.e2e.shop import bearer, make_books, stock
from tests.e2e.waiting import wait_until

PASSWORD = "e2e-security-long-pass"
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "cvc": "737"}
STAFF_ID = 9601  # the module's own staff, so the gateway's per-user write limits count it apart
PEERS = ["book", "order", "customer", "cart", "payment", "notification", "inventory"]
_names = itertools.count(1)

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
    ("book", "GET", "/api/categories/"): "public",
    ("book", "POST", "/api/categories/"): "staff",
    ("book", "GET", "/api/categories/{id}/"): "public",
    ("book", "DELETE", "/api/categories/{id}/"): "staff",
    ("cart", "POST", "/api/carts/"): "customer",
    ("cart", "GET", "/api/carts/{user_id}/"): "customer",
    ("cart", "POST", "/api/carts/{user_id}/items/"): "customer",
    ("cart", "DELETE", "/api/carts/{user_id}/items/"): "customer",
    ("cart", "DELETE", "/api/carts/{user_id}/items/{product_id}/"): "customer",
    ("customer", "POST", "/api/accounts/"): "public",
    ("customer", "GET", "/api/accounts/{account_id}/"): "customer",
    ("customer", "DELETE", "/api/accounts/{account_id}/"): "customer",
    ("customer", "GET", "/api/accounts/{account_id}/customer/"): "customer",
    ("customer", "GET", "/api/addresses/"): "customer",
    ("customer", "POST", "/api/addresses/"): "customer",
    ("customer", "GET", "/api/addresses/{id}/"): "customer",
    ("customer", "POST", "/api/auth/login/"): "public",
    ("customer", "POST", "/api/auth/refresh/"): "public",
    ("customer", "GET", "/api/customers/"): "staff",
    ("customer", "POST", "/api/customers/"): "customer",
    ("customer", "GET", "/api/customers/{id}/"): "customer",
    ("customer", "GET", "/api/fullnames/"): "customer",
    ("customer", "POST", "/api/fullnames/"): "customer",
    ("customer", "GET", "/api/fullnames/{id}/"): "customer",
    ("inventory", "GET", "/api/warehouse/"): "staff",
    ("inventory", "POST", "/api/warehouse/"): "staff",
    ("inventory", "PATCH", "/api/warehouse/"): "staff",
    ("inventory", "GET", "/api/warehouse/capacity/"): "staff",
    ("inventory", "GET", "/api/warehouse/items/"): "public",
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
    ("order", "POST", "/api/orders/{order_id}/payment/"): "service",
    ("payment", "POST", "/api/events/"): "service",
    ("payment", "GET", "/api/payments/"): "customer",
    ("payment", "POST", "/api/payments/"): "customer",
    ("payment", "GET", "/api/payments/{payment_id}/"): "customer",
    ("payment", "POST", "/api/payments/{payment_id}/refund/"): "staff",
}


def sign_up(stack, http, prefix: str) -> dict:
    """An account signed up and logged in through the gateway, with a full name, an
    address and a customer (which makes its cart)."""
    username = f"{prefix}{next(_names)}{uuid.uuid4().hex[:6]}"
    account = http.post(
        f"{stack.gateway}/api/accounts/",
        json={"username": username, "password": PASSWORD, "email": f"{username}@example.com"},
    )
    assert account.status_code == 201, account.text
    login = http.post(f"{stack.gateway}/api/auth/login/", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    user = {"id": account.json()["id"], "username": username, "headers": bearer(login.json()["access"])}
    fullname = http.post(
        f"{stack.gateway}/api/fullnames/", json={"first_name": "Thị", "last_name": "Nở"}, headers=user["headers"]
    )
    address = http.post(
        f"{stack.gateway}/api/addresses/",
        json={"address": "1 Đường Làng", "city": "Vũ Đại", "country": "Vietnam"},
        headers=user["headers"],
    )
    assert (fullname.status_code, address.status_code) == (201, 201), fullname.text + address.text
    customer = http.post(
        f"{stack.gateway}/api/customers/",
        json={"account_id": user["id"], "fullname_id": fullname.json()["id"], "address_id": address.json()["id"]},
        headers=user["headers"],
    )
    assert customer.status_code == 201, customer.text
    return user | {
        "fullname_id": fullname.json()["id"],
        "address_id": address.json()["id"],
        "customer": customer.json(),
    }


def add_to_cart(stack, http, user: dict, product_id: int, quantity: int = 1) -> None:
    added = http.post(
        f"{stack.gateway}/api/carts/{user['id']}/items/",
        json={"product_id": product_id, "quantity": quantity},
        headers=user["headers"],
    )
    assert added.status_code in (200, 201), added.text


def check_out(stack, http, user: dict) -> dict:
    order = http.post(f"{stack.gateway}/api/orders/", json={"user_id": user["id"]}, headers=user["headers"])
    assert order.status_code == 201, order.text
    return order.json()


@pytest.fixture(scope="module")
def shop(stack):
    """Staff headers and one book with plenty in stock."""
    [book] = make_books(stack, [("Bỉ vỏ (security)", "20.00")], tag="security")
    stock(stack, [book["id"]], 200)
    return {"book": book, "staff": bearer(stack.token(user_id=STAFF_ID, is_staff=True))}


@pytest.fixture(scope="module")
def ann(stack, shop):
    """Customer A: a customer profile, a book in the cart, a paid order with its card
    payment, a pending order, and the notifications all that made."""
    book_id = shop["book"]["id"]
    with requests.Session() as http:
        user = sign_up(stack, http, "secann")
        add_to_cart(stack, http, user, book_id, 2)
        paid = check_out(stack, http, user)
        payment = http.post(
            f"{stack.gateway}/api/payments/",
            json={"order_id": paid["id"], "method": "card", "card": CARD},
            headers=user["headers"] | {"Idempotency-Key": uuid.uuid4().hex},
        )
        assert payment.status_code == 201, payment.text
        assert payment.json()["status"] == "succeeded"
        add_to_cart(stack, http, user, book_id, 1)
        pending = check_out(stack, http, user)
        add_to_cart(stack, http, user, book_id, 3)  # left in the cart

        def order_paid():
            response = http.get(f"{stack.gateway}/api/orders/{paid['id']}/", headers=user["headers"])
            return response.json()["status"] == "paid"

        wait_until("the paid order", order_paid)
        subjects = {
            "Welcome to the bookstore",
            "Your customer profile is ready",
            f"Order #{paid['id']} placed",
            f"Order #{pending['id']} placed",
            f"Payment received for order #{paid['id']}",
            f"Order #{paid['id']} is paid",
        }

        def notified():
            page = http.get(
                f"{stack.gateway}/api/notifications/", params={"page_size": 100}, headers=user["headers"]
            ).json()
            return page["results"] if subjects <= {n["subject"] for n in page["results"]} else None

        notifications = wait_until("A's notifications", notified)
    return user | {
        "paid_order": paid,
        "pending_order": pending,
        "payment": payment.json(),
        "notification": notifications[0],
    }


@pytest.fixture(scope="module")
def bob(stack, shop):
    """Customer B: an account, a customer and a cart of their own."""
    with requests.Session() as http:
        user = sign_up(stack, http, "secbob")
        add_to_cart(stack, http, user, shop["book"]["id"], 1)
    return user


def snapshot(stack, http, user: dict) -> dict:
    """Everything of a customer's, read with their own token."""
    gateway, headers = stack.gateway, user["headers"]

    def read(path: str, **params) -> dict:
        response = http.get(f"{gateway}{path}", params=params, headers=headers)
        assert response.status_code == 200, f"{path}: {response.text}"
        return response.json()

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


# --- API1: broken object-level authorization ---------------------------------------------


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
    service = next(s for (s, m, p), _ in ROUTE_ACCESS.items() if _matches(p, path.split("?")[0]) and m == method)
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


def _matches(template: str, path: str) -> bool:
    """Does a concrete path fit a schema path template ({name} is one segment)?"""
    parts, concrete = template.strip("/").split("/"), path.strip("/").split("/")
    return len(parts) == len(concrete) and all(
        t == c or (t.startswith("{") and t.endswith("}")) for t, c in zip(parts, concrete, strict=True)
    )


# --- API2: broken authentication --------------------------------------------------------


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def bad_token(stack, kind: str) -> str | None:
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 600, "iat": now, "jti": uuid.uuid4().hex}
    claims |= {"user_id": STAFF_ID, "username": "mallory", "is_staff": True}
    if kind == "none":
        return None
    if kind == "expired":
        return stack.token(user_id=STAFF_ID, is_staff=True, lifetime_seconds=-30)
    if kind == "tampered":  # a real customer token whose claims were edited to say staff
        header, _, signature = stack.token(user_id=4242).split(".")
        return ".".join([header, _b64(claims), signature])
    if kind == "alg_none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    if kind == "other_key":
        return jwt.encode(claims, "not-the-signing-key-0123456789abcdef", algorithm="HS256")
    if kind == "other_algorithm":  # the right key, but an algorithm the services do not accept
        return jwt.encode(claims, JWT_SIGNING_KEY, algorithm="HS512")
    if kind == "refresh_as_access":
        return jwt.encode(claims | {"token_type": "refresh"}, JWT_SIGNING_KEY, algorithm="HS256")
    if kind == "garbage":
        return "not-a-jwt"
    raise AssertionError(kind)


# One route per service that needs a token, called at the gateway and at the service itself.
PROTECTED = {
    "book": ("POST", "/api/authors/"),
    "order": ("GET", "/api/orders/"),
    "customer": ("GET", "/api/fullnames/"),
    "cart": ("GET", "/api/carts/4242/"),
    "payment": ("GET", "/api/payments/"),
    "notification": ("GET", "/api/notifications/"),
    "inventory": ("GET", "/api/warehouse/"),
}
TOKEN_KINDS = [
    "none",
    "expired",
    "tampered",
    "alg_none",
    "other_key",
    "other_algorithm",
    "refresh_as_access",
    "garbage",
]


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS512 with our key, on purpose
@pytest.mark.parametrize("via", ["gateway", "direct"])
@pytest.mark.parametrize("service", PEERS)
@pytest.mark.parametrize("kind", TOKEN_KINDS)
def test_no_or_bad_token_is_401(stack, http, kind, service, via):
    method, path = PROTECTED[service]
    token = bad_token(stack, kind)
    base = stack.gateway if via == "gateway" else stack.url(service)

    response = http.request(method, f"{base}{path}", json={}, headers=bearer(token) if token else {})

    assert response.status_code == 401, response.text
    expected = "not_authenticated" if kind == "none" else "token_not_valid"
    assert response.json()["error"]["code"] == expected


# --- API3: broken object-property authorization -------------------------------------------


def test_sign_up_cannot_make_itself_staff(stack, http):
    username = f"secstaff{uuid.uuid4().hex[:8]}"
    body = {"username": username, "password": PASSWORD, "email": f"{username}@example.com"}
    extra = {"is_staff": True, "is_superuser": True, "is_active": True, "id": 1, "date_joined": "2000-01-01T00:00:00Z"}

    response = http.post(f"{stack.gateway}/api/accounts/", json=body | extra)

    assert response.status_code in (201, 400), response.text
    if response.status_code == 201:
        assert response.json()["is_staff"] is False
        assert response.json()["id"] != 1
    login = http.post(f"{stack.gateway}/api/auth/login/", json={"username": username, "password": PASSWORD})
    if response.status_code == 201:
        claims = jwt.decode(login.json()["access"], JWT_SIGNING_KEY, algorithms=["HS256"])
        assert claims["is_staff"] is False


def test_a_cart_line_takes_the_catalogs_price_not_the_clients(stack, http, shop, bob):
    book = shop["book"]
    added = http.post(
        f"{stack.gateway}/api/carts/{bob['id']}/items/",
        json={"product_id": book["id"], "quantity": 1, "unit_price": "0.01", "price": "0.01", "title": "Free"},
        headers=bob["headers"],
    )
    assert added.status_code in (200, 201, 400), added.text
    cart = http.get(f"{stack.gateway}/api/carts/{bob['id']}/", headers=bob["headers"]).json()
    line = next(item for item in cart["items"] if item["product_id"] == book["id"])
    assert (line["unit_price"], line["title"]) == (book["price"], book["title"])


def test_checkout_ignores_a_total_status_and_lines_from_the_client(stack, http, shop):
    with requests.Session() as session:
        user = sign_up(stack, session, "secprop")
        add_to_cart(stack, session, user, shop["book"]["id"], 2)
    forged = {
        "user_id": user["id"],
        "total": "0.01",
        "status": "delivered",
        "lines": [{"product_id": shop["book"]["id"], "quantity": 99, "unit_price": "0.01"}],
    }

    response = http.post(f"{stack.gateway}/api/orders/", json=forged, headers=user["headers"])

    assert response.status_code in (201, 400), response.text
    if response.status_code == 201:
        order = response.json()
        assert (order["status"], order["total"], order["user_id"]) == ("pending", "40.00", user["id"])
        assert [(line["quantity"], line["unit_price"]) for line in order["lines"]] == [(2, "20.00")]


def test_a_payment_takes_the_orders_amount_and_owner_not_the_clients(stack, http, shop, bob):
    with requests.Session() as session:
        user = sign_up(stack, session, "secpay")
        add_to_cart(stack, session, user, shop["book"]["id"], 1)
        order = check_out(stack, session, user)
    body = {"order_id": order["id"], "method": "cod", "amount": "0.01", "status": "succeeded", "user_id": bob["id"]}

    response = http.post(
        f"{stack.gateway}/api/payments/", json=body, headers=user["headers"] | {"Idempotency-Key": uuid.uuid4().hex}
    )

    assert response.status_code in (201, 400), response.text
    if response.status_code == 201:
        payment = response.json()
        assert (payment["amount"], payment["status"], payment["user_id"]) == ("20.00", "pending", user["id"])


@pytest.mark.parametrize("resource", ["fullnames", "addresses"])
def test_a_customer_cannot_make_a_profile_part_for_another_account(stack, http, ann, bob, resource):
    body = {"first_name": "X", "last_name": "Y"} if resource == "fullnames" else {"address": "X", "city": "Y"}
    body |= {"country": "Z"} if resource == "addresses" else {}

    response = http.post(
        f"{stack.gateway}/api/{resource}/", json=body | {"account_id": ann["id"]}, headers=bob["headers"]
    )

    assert response.status_code in (201, 400, 403), response.text
    if response.status_code == 201:
        assert response.json()["account_id"] == bob["id"]
    mine = http.get(f"{stack.gateway}/api/{resource}/", params={"page_size": 100}, headers=ann["headers"]).json()
    assert {item["account_id"] for item in mine["results"]} == {ann["id"]}


def test_cancelling_cannot_change_the_total_or_owner(stack, http, shop, bob):
    with requests.Session() as session:
        user = sign_up(stack, session, "seccancel")
        add_to_cart(stack, session, user, shop["book"]["id"], 1)
        order = check_out(stack, session, user)
    body = {"status": "cancelled", "total": "0.00", "user_id": bob["id"], "lines": []}

    response = http.patch(f"{stack.gateway}/api/orders/{order['id']}/", json=body, headers=user["headers"])

    assert response.status_code in (200, 400), response.text
    after = http.get(f"{stack.gateway}/api/orders/{order['id']}/", headers=user["headers"]).json()
    assert (after["total"], after["user_id"], len(after["lines"])) == (order["total"], user["id"], 1)


def test_marking_read_cannot_rewrite_the_notification(stack, http, bob):
    notifications = wait_until(
        "B's notifications",
        lambda: http.get(f"{stack.gateway}/api/notifications/", headers=bob["headers"]).json()["results"],
    )
    target = notifications[-1]
    body = {"subject": "Forged", "body": "Forged", "user_id": 1, "read": False, "event_type": "x"}

    response = http.post(f"{stack.gateway}/api/notifications/{target['id']}/read/", json=body, headers=bob["headers"])

    assert response.status_code in (200, 400), response.text
    after = next(
        n
        for n in http.get(
            f"{stack.gateway}/api/notifications/", params={"page_size": 100}, headers=bob["headers"]
        ).json()["results"]
        if n["id"] == target["id"]
    )
    assert (after["subject"], after["body"], after["user_id"]) == (target["subject"], target["body"], bob["id"])


HASH_MARKERS = ("pbkdf2_", "argon2", "bcrypt", "scrypt", "md5$", "sha1$")


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_no_answer_about_accounts_carries_a_password_or_its_hash(stack, http, shop, ann):
    username = f"sechash{uuid.uuid4().hex[:8]}"
    staff = shop["staff"]
    answers = [
        http.post(
            f"{stack.gateway}/api/accounts/",
            json={"username": username, "password": PASSWORD, "email": f"{username}@example.com"},
        ),
        http.post(f"{stack.gateway}/api/auth/login/", json={"username": ann["username"], "password": PASSWORD}),
        http.get(f"{stack.gateway}/api/accounts/{ann['id']}/", headers=ann["headers"]),
        http.get(f"{stack.gateway}/api/accounts/{ann['id']}/", headers=staff),
        http.get(f"{stack.gateway}/api/accounts/{ann['id']}/customer/", headers=ann["headers"]),
        http.get(f"{stack.gateway}/api/customers/{ann['customer']['id']}/", headers=staff),
        http.get(f"{stack.gateway}/api/customers/", params={"search": "sec", "page_size": 100}, headers=staff),
        http.get(f"{stack.gateway}/api/me/", headers=ann["headers"]),
        http.get(f"{stack.gateway}/api/notifications/", params={"page_size": 100}, headers=ann["headers"]),
        http.get(f"{stack.url('customer')}/api/accounts/{ann['id']}/", headers=staff),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201), answer.text
        assert not any(marker in answer.text for marker in HASH_MARKERS), answer.request.url
        assert PASSWORD not in answer.text, answer.request.url
        assert not {key for key in _keys(answer.json()) if "password" in key.lower()}, answer.request.url


# --- API4: unrestricted resource consumption ----------------------------------------------

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


def test_a_chunked_body_over_the_limit_is_413_at_the_gateway(stack, http, shop):
    def chunks():
        for _ in range(17):
            yield b"x" * 65536  # 1 MiB and 64 KiB, with no Content-Length

    response = http.post(
        f"{stack.gateway}/api/books/", data=chunks(), headers=shop["staff"] | {"Content-Type": "application/json"}
    )

    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"


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


# --- API5: broken function-level authorization --------------------------------------------


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


STAFF_ROUTES = sorted(key for key, access in ROUTE_ACCESS.items() if access in ("staff", "service"))
# Staff-only actions on routes customers may otherwise use.
STAFF_ACTIONS = [
    ("order", "PATCH", "/api/orders/{order_id}/", {"status": "paid"}),
    ("order", "PATCH", "/api/orders/{order_id}/", {"status": "shipped"}),
    ("order", "GET", "/api/orders/?user_id={other_user_id}", None),
    ("payment", "GET", "/api/payments/?user_id={other_user_id}", None),
    ("notification", "GET", "/api/notifications/?user_id={other_user_id}", None),
]


def test_every_route_of_every_service_is_classified(stack, http):
    listed = set()
    for service in PEERS:
        schema = http.get(f"{stack.url(service)}/api/schema/", params={"format": "json"})
        assert schema.status_code == 200, schema.text
        for path, operations in schema.json()["paths"].items():
            listed |= {
                (service, method.upper(), path)
                for method in operations
                if method in ("get", "post", "patch", "put", "delete")
            }
    assert listed == set(ROUTE_ACCESS)


@pytest.mark.parametrize(("service", "method", "template"), STAFF_ROUTES, ids=[f"{m} {p}" for _, m, p in STAFF_ROUTES])
def test_a_customer_calling_a_staff_or_service_route_is_403(stack, http, shop, ann, service, method, template):
    path = fill(template, path_ids(shop, ann))
    # The gateway routes no /api/events/: services post events to each other directly.
    base = stack.url(service) if path == "/api/events/" else stack.gateway
    body = {"product_id": shop["book"]["id"], "quantity": 1, "name": "x", "items": [], "reference": "probe"}

    response = http.request(method, f"{base}{path}", json=body, headers=ann["headers"])

    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(("service", "method", "template", "body"), STAFF_ACTIONS, ids=lambda v: str(v))
def test_a_customer_taking_a_staff_action_is_403(stack, http, shop, ann, service, method, template, body):
    response = http.request(
        method, f"{stack.gateway}{fill(template, path_ids(shop, ann))}", json=body, headers=ann["headers"]
    )
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "permission_denied"


def test_the_staff_routes_still_work_for_staff(stack, http, shop):
    """The 403s above are about who calls, not about a route that refuses everyone."""
    assert http.get(f"{stack.gateway}/api/warehouse/", headers=shop["staff"]).status_code == 200
    assert http.get(f"{stack.gateway}/api/customers/", headers=shop["staff"]).status_code == 200


# --- Injection in every search and filter --------------------------------------------------

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


# --- Calls that bypass the gateway ------------------------------------------------------------

NON_PUBLIC = sorted(key for key, access in ROUTE_ACCESS.items() if access != "public")


@pytest.mark.parametrize("forged", [False, True], ids=["no token", "forged service token"])
@pytest.mark.parametrize(("service", "method", "template"), NON_PUBLIC, ids=[f"{s} {m} {p}" for s, m, p in NON_PUBLIC])
def test_a_service_called_directly_refuses_a_caller_without_a_valid_token(
    stack, http, shop, ann, service, method, template, forged
):
    path = fill(template, path_ids(shop, ann))
    # Headers a gateway would add, and a made-up user header: none of them is identity.
    headers = {"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "https", "X-User-Id": str(ann["id"])}
    if forged:  # a service token, as order_service would carry it, signed with another key
        now = int(time.time())
        claims = {"token_type": "access", "exp": now + 300, "iat": now, "jti": uuid.uuid4().hex}
        claims |= {"user_id": None, "username": "service:order", "is_staff": False, "service": "order"}
        headers |= bearer(jwt.encode(claims, "guessed-signing-key-0123456789abcdef", algorithm="HS256"))

    response = http.request(method, f"{stack.url(service)}{path}", json={}, headers=headers)

    assert response.status_code == 401, response.text
