"""Payments through the gateway with every real service behind them: check out, pay by
card and the order becomes paid; a declined card leaves it pending; a refund cancels it
and its stock comes back; simultaneous payments of one order make one charge."""

import itertools
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from common.outbox.conf import DEFAULT_SUBSCRIBERS
from tests.e2e.people import CARD, Shopper, card
from tests.e2e.shop import bearer, make_books, stock
from tools.stack import REPO_DIR

CARD_INSUFFICIENT_FUNDS = "4000000000009995"
_user_ids = itertools.count(810_001)
# order_service cancels an order (and releases its stock) on payment.refunded once it is
# subscribed to that type and its code handles it; until then only the payment side of a
# refund is checked.
ORDER_CONSUMES_REFUNDS = "order" in DEFAULT_SUBSCRIBERS.get("payment.refunded", []) and any(
    "payment.refunded" in source.read_text()
    for source in (REPO_DIR / "order_service" / "orders").glob("*.py")  # not its tests
)


@pytest.fixture(scope="module")
def shop(stack):
    """One book with 20 in stock; staff headers."""
    [book] = make_books(stack, [("Chí Phèo", "30.25")], tag="payments")
    stock(stack, [book["id"]], 20)
    return {"book": book, "staff": bearer(stack.token(user_id=2, is_staff=True))}


def customer_with_order(stack, http, shop, quantity: int = 1) -> tuple[Shopper, dict]:
    """A customer (a token as customer_service issues it) and their pending order of `quantity` books."""
    customer = Shopper(stack, http, next(_user_ids))
    return customer, customer.buy(shop["book"]["id"], quantity)


def available(stack, http, product_id: int) -> int:
    level = http.get(f"{stack.gateway}/api/warehouse/items/{product_id}/")
    assert level.status_code == 200, level.text
    return level.json()["available"]


def events_of(stack, event_type: str, payment_id: int):
    return lambda events: [e for e in events if e["type"] == event_type and e["payload"]["payment_id"] == payment_id]


def test_check_out_pay_by_card_and_the_order_becomes_paid(stack, http, shop):
    customer, order = customer_with_order(stack, http, shop, quantity=2)

    paid = customer.pay(order["id"], "pay-1")

    assert paid.status_code == 201, paid.text
    payment = paid.json()
    assert (payment["status"], payment["amount"]) == ("succeeded", "60.50")
    assert (payment["card_brand"], payment["card_last4"]) == ("visa", "4242")
    customer.wait_for_order_status(order["id"], "paid")
    event = stack.events.wait_for(events_of(stack, "payment.succeeded", payment["id"]))[0]
    assert event["source"] == "payment"
    assert event["payload"]["order_id"] == order["id"]

    replay = customer.pay(order["id"], "pay-1")
    assert (replay.status_code, replay.json(), replay.headers["Idempotent-Replayed"]) == (201, payment, "true")
    again = customer.pay(order["id"], "pay-2")
    assert again.status_code == 409
    assert again.json()["error"]["code"] in {"order_already_paid", "order_not_payable"}
    reads = http.get(f"{stack.gateway}/api/payments/", params={"order_id": order["id"]}, headers=customer.headers)
    assert [p["id"] for p in reads.json()["results"]] == [payment["id"]]
    assert http.get(f"{stack.gateway}/api/payments/{payment['id']}/", headers=customer.headers).json() == payment
    # The full number is in no log line of the service that saw it.
    assert CARD["number"] not in stack.log_path("payment").read_text(errors="replace")


def test_a_declined_card_leaves_the_order_pending_and_another_card_can_pay(stack, http, shop):
    customer, order = customer_with_order(stack, http, shop)

    declined = customer.pay(order["id"], "declined", card=card(CARD_INSUFFICIENT_FUNDS))

    assert declined.status_code == 201, declined.text
    assert (declined.json()["status"], declined.json()["failure_code"]) == ("failed", "insufficient_funds")
    stack.events.wait_for(events_of(stack, "payment.failed", declined.json()["id"]))
    assert customer.order_status(order["id"]) == "pending"

    assert customer.pay(order["id"], "second-card").json()["status"] == "succeeded"
    customer.wait_for_order_status(order["id"], "paid")


def test_staff_refunds_a_payment_and_payment_refunded_is_published(stack, http, shop):
    customer, order = customer_with_order(stack, http, shop)
    payment = customer.pay(order["id"], "to-refund").json()
    refund_url = f"{stack.gateway}/api/payments/{payment['id']}/refund/"

    assert http.post(refund_url, headers=customer.headers).status_code == 403
    refunded = http.post(refund_url, headers=shop["staff"])

    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["status"] == "refunded"
    event = stack.events.wait_for(events_of(stack, "payment.refunded", payment["id"]))[0]
    assert event["payload"]["order_id"] == order["id"]
    assert http.post(refund_url, headers=shop["staff"]).json()["error"]["code"] == "payment_not_refundable"


@pytest.mark.skipif(not ORDER_CONSUMES_REFUNDS, reason="order_service does not consume payment.refunded yet")
def test_a_refund_cancels_the_order_and_its_stock_comes_back(stack, http, shop):
    book_id = shop["book"]["id"]
    before = available(stack, http, book_id)
    customer, order = customer_with_order(stack, http, shop, quantity=3)
    assert available(stack, http, book_id) == before - 3
    payment = customer.pay(order["id"], "to-refund").json()
    customer.wait_for_order_status(order["id"], "paid")

    refunded = http.post(f"{stack.gateway}/api/payments/{payment['id']}/refund/", headers=shop["staff"])

    assert refunded.status_code == 200, refunded.text
    customer.wait_for_order_status(order["id"], "cancelled")
    deadline = time.monotonic() + 15
    while available(stack, http, book_id) != before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert available(stack, http, book_id) == before


def test_simultaneous_payments_of_one_order_make_exactly_one_charge(stack, http, shop):
    customer, order = customer_with_order(stack, http, shop)

    def attempt(number: int):
        with requests.Session() as session:
            return customer.pay(order["id"], f"race-{number}", session=session)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(attempt, range(8)))

    succeeded = [a for a in answers if a.status_code == 201]
    assert len(succeeded) == 1, [a.text for a in answers]
    assert succeeded[0].json()["status"] == "succeeded"
    assert {a.json()["error"]["code"] for a in answers if a.status_code != 201} <= {
        "payment_in_progress",
        "order_already_paid",
        "order_not_payable",  # order_service had already made it paid when this one read it
    }, [a.text for a in answers]
    listed = http.get(f"{stack.gateway}/api/payments/", params={"order_id": order["id"]}, headers=shop["staff"])
    assert listed.json()["count"] == 1
    customer.wait_for_order_status(order["id"], "paid")


def test_simultaneous_replays_of_one_key_charge_once(stack, http, shop):
    customer, order = customer_with_order(stack, http, shop)

    def attempt(_):
        with requests.Session() as session:
            return customer.pay(order["id"], "one-key", session=session)

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(attempt, range(6)))

    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 5


def test_payments_need_a_token_a_key_and_the_callers_own_order(stack, http, shop):
    customer, order = customer_with_order(stack, http, shop)
    body = {"order_id": order["id"], "method": "card", "card": CARD}
    stranger = bearer(stack.token(user_id=next(_user_ids)))

    assert http.post(f"{stack.gateway}/api/payments/", json=body, headers={"Idempotency-Key": "k"}).status_code == 401
    no_key = http.post(f"{stack.gateway}/api/payments/", json=body, headers=customer.headers)
    assert no_key.status_code == 400
    assert "Idempotency-Key" in no_key.json()["error"]["details"]
    refused = customer.pay(order["id"], "k", headers=stranger)  # someone else's order: as one that does not exist
    assert (refused.status_code, refused.json()["error"]["details"]) == (
        400,
        {"order_id": [f"There is no order {order['id']}."]},
    )
    reused = customer.pay(order["id"], "k", method="cod")
    assert reused.status_code == 201  # the stranger's refusal kept no key of the customer's
    assert reused.json()["status"] == "pending"
    assert customer.pay(order["id"], "k").status_code == 422
    assert customer.order_status(order["id"]) == "pending"


def test_order_service_down_is_503_and_the_same_key_works_once_it_is_back(stack, http, shop):
    customer, order = customer_with_order(stack, http, shop)

    with stack.stopped("order"):
        response = customer.pay(order["id"], "while-down")

    assert response.status_code == 503, response.text
    assert response.json()["error"]["details"] == {"service": "order"}
    assert customer.pay(order["id"], "while-down").json()["status"] == "succeeded"
    customer.wait_for_order_status(order["id"], "paid")
