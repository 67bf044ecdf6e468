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

from tests.e2e.people import Shopper, create_account, log_in, read_ok
from tests.e2e.shop import bearer, make_books, stock
from tests.e2e.waiting import wait_until

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


def buyer_of(stack, http, book: dict, quantity: int = 2) -> Shopper:
    """A customer (a token as customer_service issues it) with `quantity` of the book in the
    cart, every call of theirs given 60 s."""
    shopper = Shopper(stack, http, next(_user_ids), timeout=60)
    added = shopper.add(book["id"], quantity)
    assert added.status_code == 201, added.text
    return shopper


def state(stack, http, staff: dict, buyer: Shopper, book: dict) -> dict:
    """What a drill must leave as it was, read through the gateway as staff."""

    def read(path: str, **params) -> dict:
        return read_ok(stack, http, staff, path, **params)

    level = read(f"/api/warehouse/items/{book['id']}/")
    return {
        "orders": [(o["id"], o["status"]) for o in read("/api/orders/", user_id=buyer.user_id)["results"]],
        "payments": [(p["id"], p["status"]) for p in read("/api/payments/", user_id=buyer.user_id)["results"]],
        "stock": (level["available"], level["reserved"]),
        "cart": [(i["product_id"], i["quantity"]) for i in read(f"/api/carts/{buyer.user_id}/")["items"]],
    }


def settles_back_to(stack, http, staff, buyer, book, before: dict) -> None:
    """State as before; a release that goes through the outbox may take a moment."""
    wait_until("the state as before the drill", lambda: state(stack, http, staff, buyer, book) == before)


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
    buyer = buyer_of(stack, http, book)
    before = state(stack, http, staff, buyer, book)

    with stack.stopped(down):
        response, elapsed = timed(buyer.checkout)

    assert_refused_in_time(response, elapsed, answer_bound(stack), down)
    settles_back_to(stack, http, staff, buyer, book, before)
    breaker_cool_down(stack)
    placed = buyer.checkout()
    assert placed.status_code == 201, placed.text
    after = state(stack, http, staff, buyer, book)
    assert after["orders"] == [(placed.json()["id"], "pending")]
    assert after["stock"] == (before["stock"][0] - 2, before["stock"][1] + 2)
    assert after["cart"] == []


@pytest.mark.parametrize("down", ["order", "cart", "inventory", "book"])
def test_checkout_and_pay_with_a_service_down(stack, http, staff, book, down):
    """The gateway's one-call checkout: refused before the order exists, nothing charged,
    and the same Idempotency-Key works once the service is back. (payment_service down,
    which leaves a payable order, is in test_composite.py.)"""
    buyer = buyer_of(stack, http, book)
    before = state(stack, http, staff, buyer, book)
    key = uuid.uuid4().hex

    with stack.stopped(down):
        response, elapsed = timed(lambda: buyer.checkout_and_pay(key))

    assert_refused_in_time(response, elapsed, answer_bound(stack), down)
    settles_back_to(stack, http, staff, buyer, book, before)
    breaker_cool_down(stack)
    done = buyer.checkout_and_pay(key)
    assert done.status_code == 201, done.text
    assert done.json()["payment"]["status"] == "succeeded"
    after = state(stack, http, staff, buyer, book)
    assert [order_id for order_id, _ in after["orders"]] == [done.json()["order"]["id"]]
    assert [payment_id for payment_id, _ in after["payments"]] == [done.json()["payment"]["id"]]


def unpaid_order(stack, http, staff, book) -> tuple[Shopper, dict, dict, str]:
    """A buyer with an order to pay, the state before paying, and the payment's key."""
    buyer = buyer_of(stack, http, book)
    order = buyer.checkout().json()
    return buyer, order, state(stack, http, staff, buyer, book), uuid.uuid4().hex


def paid_once_back(stack, http, staff, book, buyer: Shopper, order: dict, key: str) -> None:
    """Once the service is back, the same key pays the order, and it becomes paid."""
    breaker_cool_down(stack)
    paid = buyer.pay(order["id"], key)
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "succeeded"
    wait_until("the order paid", lambda: state(stack, http, staff, buyer, book)["orders"] == [(order["id"], "paid")])


@pytest.mark.parametrize("down", ["payment", "order"])
def test_payment_with_a_service_down(stack, http, staff, book, down):
    buyer, order, before, key = unpaid_order(stack, http, staff, book)

    with stack.stopped(down):
        response, elapsed = timed(lambda: buyer.pay(order["id"], key))

    assert_refused_in_time(response, elapsed, answer_bound(stack), down)
    settles_back_to(stack, http, staff, buyer, book, before)  # no payment, the order still pending
    paid_once_back(stack, http, staff, book, buyer, order, key)


def test_cart_view_with_cart_service_down(stack, http, staff, book):
    """(book_service down or hanging, where the view degrades to 200, is in test_cart.py.)"""
    buyer = buyer_of(stack, http, book, quantity=3)
    before = state(stack, http, staff, buyer, book)

    with stack.stopped("cart"):
        response, elapsed = timed(buyer.view)

    assert_refused_in_time(response, elapsed, answer_bound(stack), "cart")
    assert state(stack, http, staff, buyer, book) == before
    breaker_cool_down(stack)
    cart = buyer.view()
    assert cart.status_code == 200, cart.text
    assert cart.json()["details_available"] is True


def test_sign_up_with_customer_service_down_makes_no_account(stack, http):
    username = f"drill{uuid.uuid4().hex[:10]}"

    with stack.stopped("customer"):
        response, elapsed = timed(lambda: create_account(stack, http, username))

    assert_refused_in_time(response, elapsed, answer_bound(stack), "customer")
    breaker_cool_down(stack)
    assert log_in(stack, http, username).status_code == 401  # no account was made
    again = create_account(stack, http, username)
    assert again.status_code == 201, again.text  # and the name is free
    assert log_in(stack, http, username).status_code == 200


def test_sign_up_with_notification_service_down_is_welcomed_once_it_is_back(stack, http):
    """Sign-up does not depend on notification_service; its welcome waits in the outbox."""
    username = f"drill{uuid.uuid4().hex[:10]}"

    with stack.stopped("notification"):
        response, elapsed = timed(lambda: create_account(stack, http, username))
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
    buyer = buyer_of(stack, http, book)
    before = state(stack, http, staff, buyer, book)

    response, elapsed = killed_during(stack, victim, lambda session: buyer.checkout(session=session))

    assert_refused_in_time(response, elapsed, 1 + answer_bound(stack), None)
    settles_back_to(stack, http, staff, buyer, book, before)
    breaker_cool_down(stack)
    placed = buyer.checkout()
    assert placed.status_code == 201, placed.text
    assert state(stack, http, staff, buyer, book)["stock"] == (before["stock"][0] - 2, before["stock"][1] + 2)


@pytest.mark.parametrize("victim", ["payment", "order"])
def test_payment_with_a_service_killed_mid_request(stack, http, staff, book, victim):
    buyer, order, before, key = unpaid_order(stack, http, staff, book)

    response, elapsed = killed_during(stack, victim, lambda session: buyer.pay(order["id"], key, session=session))

    assert_refused_in_time(response, elapsed, 1 + answer_bound(stack), None)
    settles_back_to(stack, http, staff, buyer, book, before)
    paid_once_back(stack, http, staff, book, buyer, order, key)


def test_sign_up_with_customer_service_killed_mid_request(stack, http):
    username = f"drill{uuid.uuid4().hex[:10]}"

    response, elapsed = killed_during(stack, "customer", lambda session: create_account(stack, session, username))

    assert_refused_in_time(response, elapsed, 1 + answer_bound(stack), "customer")
    breaker_cool_down(stack)
    assert log_in(stack, http, username).status_code == 401
    assert create_account(stack, http, username).status_code == 201


def test_notification_service_killed_while_an_event_is_delivered_notifies_once(stack, http, staff, book):
    """The order's event reaches a frozen notification_service, which is then killed:
    the outbox delivers it again once it is back, and it is stored once."""
    buyer = buyer_of(stack, http, book, quantity=1)

    response, _ = killed_during(stack, "notification", lambda session: buyer.checkout(session=session))

    assert response.status_code == 201, response.text  # checkout does not wait for notifications
    placed = f"Order #{response.json()['id']} placed"

    def notified():
        page = http.get(f"{stack.gateway}/api/notifications/", headers=buyer.headers).json()
        return [n for n in page["results"] if n["subject"] == placed]

    assert len(wait_until("the order's notification", notified)) == 1
    time.sleep(2)  # time for a repeated delivery to show
    assert len(notified()) == 1
