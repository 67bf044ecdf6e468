"""Failure drills against the real processes: each service a flow depends on is stopped
in turn during checkout, checkout-and-pay, payment, cart view and sign-up, or killed
with SIGKILL in the middle of a request. Every time the caller gets a 503 or 504 within
a bound set by the configured timeouts (or, where the flow is built to degrade, a
degraded 200), nothing is left half-done (no order, no payment, stock, reservations and
the cart as they were, read back as staff), and once the service is back the same flow
works.

Drills already elsewhere, not repeated here: customer creation with cart_service down
(test_customers.py), book_service down or hanging for the cart (test_cart.py), payment
down in checkout-and-pay (test_composite.py), notification_service or a subscriber down
for a while, nothing lost or repeated (test_notifications.py, test_orders.py), a service
that hangs is a 504 (test_gateway.py)."""

import itertools
import signal
import threading
import time
import uuid

import pytest
import requests

from tests.e2e.shop import bearer, make_books, stock
from tests.e2e.waiting import wait_until

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "cvc": "737"}
PASSWORD = "e2e-drills-long-pass"
_user_ids = itertools.count(970_001)


def answer_bound(stack) -> float:
    """How long a caller may wait for a 503/504: the gateway gives up on a service after
    GATEWAY_READ_TIMEOUT and answers 504 itself, so anything beyond that (plus time for
    a busy machine) is a hang."""
    return float(stack.env_for("gateway")["GATEWAY_READ_TIMEOUT"]) + 4


def breaker_cool_down(stack) -> None:
    """The gateway's breaker may have opened on the failures; its trial comes after this."""
    time.sleep(float(stack.env_for("gateway")["GATEWAY_BREAKER_RESET_SECONDS"]) + 0.2)


@pytest.fixture(scope="module")
def book(stack):
    [book] = make_books(stack, [("Tắt đèn (drills)", "25.00")], tag="drills")
    stock(stack, [book["id"]], 500)
    return book


@pytest.fixture(scope="module")
def staff(stack):
    return bearer(stack.token(user_id=9701, is_staff=True))


class Buyer:
    """A customer (a token as customer_service issues it) with books in the cart."""

    def __init__(self, stack, http, book: dict, quantity: int = 2):
        self.stack, self.http, self.book = stack, http, book
        self.user_id = next(_user_ids)
        self.headers = bearer(stack.token(user_id=self.user_id))
        added = http.post(
            f"{stack.gateway}/api/carts/{self.user_id}/items/",
            json={"product_id": book["id"], "quantity": quantity},
            headers=self.headers,
        )
        assert added.status_code == 201, added.text

    def checkout(self, session=None, key: str | None = None) -> requests.Response:
        headers = self.headers | ({"Idempotency-Key": key} if key else {})
        return (session or self.http).post(
            f"{self.stack.gateway}/api/orders/", json={"user_id": self.user_id}, headers=headers, timeout=60
        )

    def checkout_and_pay(self, key: str, session=None) -> requests.Response:
        return (session or self.http).post(
            f"{self.stack.gateway}/api/checkout/",
            json={"payment_method": "card", "card": CARD},
            headers=self.headers | {"Idempotency-Key": key},
            timeout=60,
        )

    def pay(self, order_id: int, key: str, session=None) -> requests.Response:
        return (session or self.http).post(
            f"{self.stack.gateway}/api/payments/",
            json={"order_id": order_id, "method": "card", "card": CARD},
            headers=self.headers | {"Idempotency-Key": key},
            timeout=60,
        )

    def view_cart(self, session=None) -> requests.Response:
        return (session or self.http).get(
            f"{self.stack.gateway}/api/carts/{self.user_id}/", headers=self.headers, timeout=60
        )


def state(stack, http, staff: dict, buyer: Buyer) -> dict:
    """What a drill must leave as it was, read through the gateway as staff."""

    def read(path: str, **params) -> dict:
        response = http.get(f"{stack.gateway}{path}", params=params, headers=staff)
        assert response.status_code == 200, f"{path}: {response.text}"
        return response.json()

    level = read(f"/api/warehouse/items/{buyer.book['id']}/")
    return {
        "orders": [(o["id"], o["status"]) for o in read("/api/orders/", user_id=buyer.user_id)["results"]],
        "payments": [(p["id"], p["status"]) for p in read("/api/payments/", user_id=buyer.user_id)["results"]],
        "stock": (level["available"], level["reserved"]),
        "cart": [(i["product_id"], i["quantity"]) for i in read(f"/api/carts/{buyer.user_id}/")["items"]],
    }


def settles_back_to(stack, http, staff, buyer, before: dict) -> None:
    """State as before; a release that goes through the outbox may take a moment."""
    wait_until("the state as before the drill", lambda: state(stack, http, staff, buyer) == before)


def assert_refused_in_time(response: requests.Response, elapsed: float, bound: float, service: str | None) -> None:
    assert response.status_code in (503, 504), response.text
    error = response.json()["error"]
    assert error["code"] in ("service_unavailable", "service_timeout")
    if service is not None:
        assert error["details"]["service"] == service, error
    assert elapsed < bound, f"answered after {elapsed:.1f}s"


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


# --- Stopped services ----------------------------------------------------------------------


@pytest.mark.parametrize("down", ["order", "cart", "inventory", "book"])
def test_checkout_with_a_service_down(stack, http, staff, book, down):
    """Checkout (3.1) reads the cart (which reads the books), reserves stock and saves
    the order: with any of those down it is refused and leaves nothing behind."""
    buyer = Buyer(stack, http, book)
    before = state(stack, http, staff, buyer)

    with stack.stopped(down):
        response, elapsed = timed(buyer.checkout)

    assert_refused_in_time(response, elapsed, answer_bound(stack), down)
    settles_back_to(stack, http, staff, buyer, before)
    breaker_cool_down(stack)
    placed = buyer.checkout()
    assert placed.status_code == 201, placed.text
    after = state(stack, http, staff, buyer)
    assert after["orders"] == [(placed.json()["id"], "pending")]
    assert after["stock"] == (before["stock"][0] - 2, before["stock"][1] + 2)
    assert after["cart"] == []


@pytest.mark.parametrize("down", ["order", "cart", "inventory", "book"])
def test_checkout_and_pay_with_a_service_down(stack, http, staff, book, down):
    """The gateway's one-call checkout: refused before the order exists, nothing charged,
    and the same Idempotency-Key works once the service is back. (payment_service down,
    which leaves a payable order, is in test_composite.py.)"""
    buyer = Buyer(stack, http, book)
    before = state(stack, http, staff, buyer)
    key = uuid.uuid4().hex

    with stack.stopped(down):
        response, elapsed = timed(lambda: buyer.checkout_and_pay(key))

    assert_refused_in_time(response, elapsed, answer_bound(stack), down)
    settles_back_to(stack, http, staff, buyer, before)
    breaker_cool_down(stack)
    done = buyer.checkout_and_pay(key)
    assert done.status_code == 201, done.text
    assert done.json()["payment"]["status"] == "succeeded"
    after = state(stack, http, staff, buyer)
    assert [order_id for order_id, _ in after["orders"]] == [done.json()["order"]["id"]]
    assert [payment_id for payment_id, _ in after["payments"]] == [done.json()["payment"]["id"]]


@pytest.mark.parametrize("down", ["payment", "order"])
def test_payment_with_a_service_down(stack, http, staff, book, down):
    buyer = Buyer(stack, http, book)
    order = buyer.checkout().json()
    before = state(stack, http, staff, buyer)
    key = uuid.uuid4().hex

    with stack.stopped(down):
        response, elapsed = timed(lambda: buyer.pay(order["id"], key))

    assert_refused_in_time(response, elapsed, answer_bound(stack), down)
    settles_back_to(stack, http, staff, buyer, before)  # no payment, the order still pending
    breaker_cool_down(stack)
    paid = buyer.pay(order["id"], key)
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "succeeded"
    wait_until("the order paid", lambda: state(stack, http, staff, buyer)["orders"] == [(order["id"], "paid")])


def test_cart_view_with_cart_service_down(stack, http, staff, book):
    """(book_service down or hanging, where the view degrades to 200, is in test_cart.py.)"""
    buyer = Buyer(stack, http, book, quantity=3)
    before = state(stack, http, staff, buyer)

    with stack.stopped("cart"):
        response, elapsed = timed(buyer.view_cart)

    assert_refused_in_time(response, elapsed, answer_bound(stack), "cart")
    assert state(stack, http, staff, buyer) == before
    breaker_cool_down(stack)
    cart = buyer.view_cart()
    assert cart.status_code == 200, cart.text
    assert cart.json()["details_available"] is True


def sign_up(stack, http, username: str) -> requests.Response:
    return http.post(
        f"{stack.gateway}/api/accounts/",
        json={"username": username, "password": PASSWORD, "email": f"{username}@example.com"},
        timeout=60,
    )


def log_in(stack, http, username: str) -> requests.Response:
    return http.post(f"{stack.gateway}/api/auth/login/", json={"username": username, "password": PASSWORD}, timeout=60)


def test_sign_up_with_customer_service_down_makes_no_account(stack, http):
    username = f"drill{uuid.uuid4().hex[:10]}"

    with stack.stopped("customer"):
        response, elapsed = timed(lambda: sign_up(stack, http, username))

    assert_refused_in_time(response, elapsed, answer_bound(stack), "customer")
    breaker_cool_down(stack)
    assert log_in(stack, http, username).status_code == 401  # no account was made
    again = sign_up(stack, http, username)
    assert again.status_code == 201, again.text  # and the name is free
    assert log_in(stack, http, username).status_code == 200


def test_sign_up_with_notification_service_down_is_welcomed_once_it_is_back(stack, http):
    """Sign-up does not depend on notification_service; its welcome waits in the outbox."""
    username = f"drill{uuid.uuid4().hex[:10]}"

    with stack.stopped("notification"):
        response, elapsed = timed(lambda: sign_up(stack, http, username))
        assert response.status_code == 201, response.text
        assert elapsed < answer_bound(stack)
        time.sleep(1)  # a few deliveries are refused meanwhile

    headers = bearer(log_in(stack, http, username).json()["access"])

    def welcomes():
        page = http.get(f"{stack.gateway}/api/notifications/", headers=headers).json()
        return [n for n in page["results"] if n["event_type"] == "account.created"]

    assert len(wait_until("the welcome", welcomes)) == 1
    time.sleep(2)  # time for a repeated delivery to show
    assert len(welcomes()) == 1


# --- SIGKILL in the middle of a request ------------------------------------------------------


def killed_during(stack, victim: str, request):
    """Sends `request` while `victim` is frozen (it has the connection, answers nothing),
    kills its whole process group with SIGKILL, starts it again, and returns the
    caller's response and how long it waited."""
    outcome = {}

    def send():
        with requests.Session() as session:
            started = time.monotonic()
            outcome["response"] = request(session)
            outcome["elapsed"] = time.monotonic() - started

    stack.signal(victim, signal.SIGSTOP)
    caller = threading.Thread(target=send)
    try:
        caller.start()
        time.sleep(1)  # the request is in flight, inside (or queued at) the frozen service
        stack.signal(victim, signal.SIGKILL)
        stack.processes[victim].wait(timeout=15)
        caller.join(timeout=60)
    finally:
        stack.signal(victim, signal.SIGKILL)  # anything left behind in its process group
        stack.start_service(victim, migrate=False)
        stack.wait_ready([victim])
    assert not caller.is_alive(), "the caller is still waiting"
    return outcome["response"], outcome["elapsed"]


@pytest.mark.parametrize("victim", ["order", "inventory", "cart"])
def test_checkout_with_a_service_killed_mid_request(stack, http, staff, book, victim):
    buyer = Buyer(stack, http, book)
    before = state(stack, http, staff, buyer)

    response, elapsed = killed_during(stack, victim, lambda session: buyer.checkout(session))

    assert_refused_in_time(response, elapsed, 1 + answer_bound(stack), None)
    settles_back_to(stack, http, staff, buyer, before)
    breaker_cool_down(stack)
    placed = buyer.checkout()
    assert placed.status_code == 201, placed.text
    assert state(stack, http, staff, buyer)["stock"] == (before["stock"][0] - 2, before["stock"][1] + 2)


@pytest.mark.parametrize("victim", ["payment", "order"])
def test_payment_with_a_service_killed_mid_request(stack, http, staff, book, victim):
    buyer = Buyer(stack, http, book)
    order = buyer.checkout().json()
    before = state(stack, http, staff, buyer)
    key = uuid.uuid4().hex

    response, elapsed = killed_during(stack, victim, lambda session: buyer.pay(order["id"], key, session))

    assert_refused_in_time(response, elapsed, 1 + answer_bound(stack), None)
    settles_back_to(stack, http, staff, buyer, before)
    breaker_cool_down(stack)
    paid = buyer.pay(order["id"], key)
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "succeeded"
    wait_until("the order paid", lambda: state(stack, http, staff, buyer)["orders"] == [(order["id"], "paid")])


def test_sign_up_with_customer_service_killed_mid_request(stack, http):
    username = f"drill{uuid.uuid4().hex[:10]}"

    response, elapsed = killed_during(stack, "customer", lambda session: sign_up(stack, session, username))

    assert_refused_in_time(response, elapsed, 1 + answer_bound(stack), "customer")
    breaker_cool_down(stack)
    assert log_in(stack, http, username).status_code == 401
    assert sign_up(stack, http, username).status_code == 201


def test_notification_service_killed_while_an_event_is_delivered_notifies_once(stack, http, staff, book):
    """The order's event reaches a frozen notification_service, which is then killed:
    the outbox delivers it again once it is back, and it is stored once."""
    buyer = Buyer(stack, http, book, quantity=1)

    response, _ = killed_during(stack, "notification", lambda session: buyer.checkout(session))

    assert response.status_code == 201, response.text  # checkout does not wait for notifications
    placed = f"Order #{response.json()['id']} placed"

    def notified():
        page = http.get(f"{stack.gateway}/api/notifications/", headers=buyer.headers).json()
        return [n for n in page["results"] if n["subject"] == placed]

    assert len(wait_until("the order's notification", notified)) == 1
    time.sleep(2)  # time for a repeated delivery to show
    assert len(notified()) == 1
