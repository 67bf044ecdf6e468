"""Money and stock stay right under races, crashes and abandoned orders (the order,
payment and inventory lifecycle), on the real processes. Every drill ends by checking
the shop's invariants (tests/e2e/invariants.py) for its books, read back as staff and
from the payment provider's own books, and records how long they took to hold again
(var/test-reports/lifecycle-drills.jsonl, one line per drill)."""

import itertools
import json
import random
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.invariants import provider_books, wait_until_they_hold
from tests.e2e.people import read_ok
from tests.e2e.shop import bearer, make_books, stock
from tests.e2e.waiting import wait_until
from tools.stack import REPO_DIR

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "cvc": "737"}
_user_ids = itertools.count(2_100_001)
REPORT = REPO_DIR / "var" / "test-reports" / "lifecycle-drills.jsonl"
# The sweeps' bound in the e2e stack (harness.py: CHECKOUT_ABANDONED_SECONDS and
# PAYMENT_RECOVERY_SECONDS 8 s, outbox lease 8 s) plus time for a busy 2-core machine.
RECOVERY_BOUND = 60.0


@pytest.fixture
def drill_report(request):
    """drill_report(name, value): what a drill measured, written with its name to
    var/test-reports/lifecycle-drills.jsonl (the figures of the closing notes)."""
    measured = {}
    yield measured.__setitem__
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with REPORT.open("a") as report:
        report.write(json.dumps({"drill": request.node.name, **measured}) + "\n")


@pytest.fixture(scope="module")
def staff(stack):
    return bearer(stack.token(user_id=9801, is_staff=True))


def new_book(stack, title: str, price: str = "12.50", units: int = 100) -> dict:
    [book] = make_books(stack, [(title, price)], tag="lifecycle")
    stock(stack, [book["id"]], units)
    return book


class Shopper:
    """A customer (a token as customer_service issues it) with `quantity` of a book in the cart."""

    def __init__(self, stack, book: dict, quantity: int = 1):
        self.gateway = stack.gateway
        self.user_id = next(_user_ids)
        self.headers = bearer(stack.token(user_id=self.user_id))
        with requests.Session() as http:
            added = http.post(
                f"{self.gateway}/api/carts/{self.user_id}/items/",
                json={"product_id": book["id"], "quantity": quantity},
                headers=self.headers,
            )
        assert added.status_code == 201, added.text

    def checkout(self, http) -> requests.Response:
        body = {"user_id": self.user_id}
        return http.post(f"{self.gateway}/api/orders/", json=body, headers=self.headers, timeout=60)

    def pay(self, http, order_id: int, method: str = "card") -> requests.Response:
        body = {"order_id": order_id, "method": method} | ({"card": CARD} if method == "card" else {})
        return http.post(
            f"{self.gateway}/api/payments/",
            json=body,
            headers=self.headers | {"Idempotency-Key": uuid.uuid4().hex},
            timeout=60,
        )

    def cancel(self, http, order_id: int, headers: dict | None = None) -> requests.Response:
        return http.patch(
            f"{self.gateway}/api/orders/{order_id}/",
            json={"status": "cancelled"},
            headers=headers or self.headers,
            timeout=60,
        )


def invariants_hold(stack, staff, books: set[int], drill_report) -> None:
    """The invariants hold for these books within the sweeps' bound; how soon is reported."""
    drill_report("invariants_hold_after_seconds", round(wait_until_they_hold(stack, staff, books, RECOVERY_BOUND), 1))


def charge_state(stack, payment_id: int) -> str | None:
    states = [state for reference, state, _ in provider_books(stack) if reference == f"payment-{payment_id}"]
    return states[0] if states else None


def test_pay_and_cancel_raced_never_leave_a_cancelled_order_charged(stack, http, staff, drill_report):
    """20 trials, the payment and the cancel sent at once with mixed delays; the cancel
    by the customer (who may cancel only a pending order) or by staff (who may cancel a
    paid one, which is then refunded)."""
    book = new_book(stack, "Số đỏ (race)")
    rng = random.Random(21)  # noqa: S311 (timings of a drill, repeatable)
    outcomes = []
    for trial in range(20):
        shopper = Shopper(stack, book)
        order = shopper.checkout(http).json()
        by_staff = trial % 2 == 1
        # The payment takes longer than the cancel (a read, an authorization, a take, a
        # capture): the cancel comes anywhere from before it to its end.
        delays = (rng.uniform(0, 0.02), rng.uniform(0, 0.15))
        answers = {}

        def pay(delay=delays[0], shopper=shopper, order=order, answers=answers):
            time.sleep(delay)
            with requests.Session() as session:
                answers["pay"] = shopper.pay(session, order["id"])

        def cancel(delay=delays[1], shopper=shopper, order=order, answers=answers, by_staff=by_staff):
            time.sleep(delay)
            with requests.Session() as session:
                answers["cancel"] = shopper.cancel(session, order["id"], staff if by_staff else None)

        threads = [threading.Thread(target=pay), threading.Thread(target=cancel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        def settled(order=order):
            """The order and its payments at rest (a refund follows a staff cancel through an event)."""
            final = read_ok(stack, http, staff, f"/api/orders/{order['id']}/")
            payments = read_ok(stack, http, staff, f"/api/payments/?order_id={order['id']}")["results"]
            statuses = {p["status"] for p in payments}
            if final["status"] == "cancelled":
                at_rest = statuses <= {"failed", "refunded"}
            else:
                at_rest = final["status"] == "paid" and statuses <= {"failed", "succeeded"}
            return (final, payments) if at_rest else None

        final, payments = wait_until(
            f"order {order['id']} and its payment at rest, never both cancelled and charged", settled
        )
        live = [p for p in payments if p["status"] in ("succeeded", "refunded")]
        if final["status"] == "cancelled":
            # Not charged, or charged and refunded by itself.
            assert all(p["status"] in ("failed", "refunded") for p in payments), payments
            assert all(charge_state(stack, p["id"]) in ("voided", "refunded", None) for p in payments)
            outcome = "cancelled, refunded" if live else "cancelled, not charged"
        else:
            assert final["status"] == "paid", final
            assert [p["status"] for p in live] == ["succeeded"]
            assert charge_state(stack, live[0]["id"]) == "captured"
            assert answers["cancel"].status_code == 403  # a customer may not cancel a paid order
            outcome = "paid"
        outcomes.append(outcome)
    drill_report("outcomes", {o: outcomes.count(o) for o in set(outcomes)})
    invariants_hold(stack, staff, {book["id"]}, drill_report)


def test_an_unpaid_order_expires_and_its_stock_comes_back(stack, http, staff, drill_report):
    book = new_book(stack, "Tắt đèn (expiry)", units=5)
    with stack.configured("order", ORDER_PAYMENT_MINUTES="0.05"):  # 3 s
        hoarder = Shopper(stack, book, quantity=5)
        cod_buyer_book = new_book(stack, "Tắt đèn (cash on delivery)", units=1)
        cod_buyer = Shopper(stack, cod_buyer_book)
        hoarded = hoarder.checkout(http).json()
        placed = time.monotonic()
        by_cash = cod_buyer.checkout(http).json()
        assert cod_buyer.pay(http, by_cash["id"], method="cod").json()["status"] == "pending"
        other = Shopper(stack, book)
        assert other.checkout(http).status_code == 409  # the last copies are held

        expired = wait_until(
            "the unpaid order cancelled",
            lambda: (o := read_ok(stack, http, staff, f"/api/orders/{hoarded['id']}/"))["status"] == "cancelled" and o,
            timeout=30,
        )

    drill_report("cancelled_after_seconds", round(time.monotonic() - placed, 1))  # due after 3 s
    assert (expired["history"][-1]["changed_by"], expired["history"][-1]["reason"]) == (
        "service order",
        "payment_expired",
    )
    level = read_ok(stack, http, staff, f"/api/warehouse/items/{book['id']}/")
    assert (level["available"], level["reserved"]) == (5, 0)
    late = hoarder.pay(http, hoarded["id"])
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "order_not_payable"
    assert read_ok(stack, http, staff, f"/api/orders/{by_cash['id']}/")["status"] == "pending"  # cash does not expire
    assert other.checkout(http).status_code == 201  # the stock is for sale again
    invariants_hold(stack, staff, {book["id"], cod_buyer_book["id"]}, drill_report)


def test_staff_cancel_of_a_paid_order_refunds_it_and_tells_the_customer(stack, http, staff, drill_report):
    book = new_book(stack, "Chí Phèo (refund)", price="40.00")
    shopper = Shopper(stack, book, quantity=2)
    order = shopper.checkout(http).json()
    paid = shopper.pay(http, order["id"]).json()
    assert paid["status"] == "succeeded"

    assert shopper.cancel(http, order["id"]).status_code == 403  # the customer may not, once paid
    assert shopper.cancel(http, order["id"], staff).json()["status"] == "cancelled"

    refunded = wait_until(
        "the refund",
        lambda: (p := read_ok(stack, http, staff, f"/api/payments/{paid['id']}/"))["status"] == "refunded" and p,
    )
    assert [t["kind"] for t in refunded["transactions"]] == ["authorization", "charge", "refund"]
    assert charge_state(stack, paid["id"]) == "refunded"

    def told():
        page = http.get(f"{stack.gateway}/api/notifications/", headers=shopper.headers).json()
        return [n for n in page["results"] if n["subject"] == f"Refund for order #{order['id']}"]

    assert len(wait_until("the refund notification", told)) == 1
    level = read_ok(stack, http, staff, f"/api/warehouse/items/{book['id']}/")
    assert level["reserved"] == 0
    invariants_hold(stack, staff, {book["id"]}, drill_report)


def test_cash_on_delivery_cancelled_cancels_its_payment_and_delivered_collects_it(stack, http, staff, drill_report):
    book = new_book(stack, "Vợ nhặt (cash)")
    cancelled_by_customer = Shopper(stack, book)
    delivered = Shopper(stack, book)
    first = cancelled_by_customer.checkout(http).json()
    second = delivered.checkout(http).json()
    cash_first = cancelled_by_customer.pay(http, first["id"], method="cod").json()
    cash_second = delivered.pay(http, second["id"], method="cod").json()

    assert cancelled_by_customer.cancel(http, first["id"]).json()["status"] == "cancelled"
    for status in ("shipped", "delivered"):  # a cash order ships unpaid
        moved = http.patch(f"{stack.gateway}/api/orders/{second['id']}/", json={"status": status}, headers=staff)
        assert moved.json()["status"] == status, moved.text

    wait_until(
        "the cash payments settled",
        lambda: (
            (
                read_ok(stack, http, staff, f"/api/payments/{cash_first['id']}/")["status"],
                read_ok(stack, http, staff, f"/api/payments/{cash_second['id']}/")["status"],
            )
            == ("cancelled", "succeeded")
        ),
    )
    invariants_hold(stack, staff, {book["id"]}, drill_report)


def test_an_order_too_large_to_store_is_refused_and_nothing_is_kept(stack, http, staff, drill_report):
    book = new_book(stack, "Truyện Kiều (gilded)", price="99999999.99", units=20)
    shopper = Shopper(stack, book, quantity=9)
    too_many = http.post(
        f"{stack.gateway}/api/carts/{shopper.user_id}/items/",
        json={"product_id": book["id"], "quantity": 2},
        headers=shopper.headers,
    )
    assert too_many.status_code == 409
    assert too_many.json()["error"]["code"] == "cart_total_too_large"
    # A price goes up after the books are in the cart: checkout refuses the total.
    cheap = new_book(stack, "Truyện Kiều (cheap)", price="1.00", units=999)
    cart = http.post(
        f"{stack.gateway}/api/carts/{shopper.user_id}/items/",
        json={"product_id": cheap["id"], "quantity": 999},
        headers=shopper.headers,
    )
    assert cart.status_code == 201, cart.text
    priced_up = http.patch(f"{stack.gateway}/api/books/{cheap['id']}/", json={"price": "99999999.99"}, headers=staff)
    assert priced_up.status_code == 200, priced_up.text

    refused = shopper.checkout(http)

    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "order_total_too_large"
    orders = read_ok(stack, http, staff, f"/api/orders/?user_id={shopper.user_id}")
    assert orders["count"] == 0
    for product in (book, cheap):
        assert read_ok(stack, http, staff, f"/api/warehouse/items/{product['id']}/")["reserved"] == 0
    invariants_hold(stack, staff, {book["id"], cheap["id"]}, drill_report)


# Who is frozen before the victim dies, so that requests are caught half-way: inventory
# for order_service (checkouts wait with their intent written, their reservation asked
# for), order_service for payment_service (payments wait to read or take the order,
# some with the card authorized), the victim itself for inventory_service.
STALLED_BEFORE_THE_KILL = {"order": "inventory", "payment": "order", "inventory": "inventory"}


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("victim", ["order", "inventory", "payment"])
def test_a_service_killed_during_30_checkouts_and_payments_leaves_nothing_held_or_charged(
    stack, staff, victim, seed, drill_report
):
    """30 shoppers check out and pay, starting within 0.6 s. At a random moment a
    service is frozen (SIGSTOP: the requests it holds stop wherever they are, new ones
    queue), and a second later `victim` is killed with SIGKILL, the frozen one let go,
    and the victim started again. Whatever each shopper was told, within the sweeps'
    bound: an order exists with its stock held, or no order and no unit held; no
    payment is left half-way and no card is charged without its order."""
    book = new_book(stack, f"Số đỏ (killed {victim} {seed})")
    shoppers = [Shopper(stack, book, quantity=1 + n % 3) for n in range(30)]
    rng = random.Random(f"{victim}-{seed}")  # noqa: S311 (timings of a drill, repeatable)
    starts = [rng.uniform(0, 0.6) for _ in shoppers]
    stalled = STALLED_BEFORE_THE_KILL[victim]
    log_before = stack.log_path(victim).read_text(errors="replace")

    # For payment_service the orders are placed first, so that the payments all fall in
    # the frozen second, some of them with the card authorized and the order not yet taken.
    placed_first = {}
    if victim == "payment":
        with requests.Session() as session:
            for shopper in shoppers:
                placed_first[shopper.user_id] = shopper.checkout(session).json()["id"]

    def shop(shopper: Shopper, start: float) -> tuple[int, int | None]:
        time.sleep(start)
        with requests.Session() as session:
            try:
                if shopper.user_id in placed_first:
                    return 201, shopper.pay(session, placed_first[shopper.user_id]).status_code
                placed = shopper.checkout(session)
                if placed.status_code != 201:
                    return placed.status_code, None
                return placed.status_code, shopper.pay(session, placed.json()["id"]).status_code
            except requests.RequestException:
                return -1, None

    with ThreadPoolExecutor(max_workers=30) as pool:
        results = [pool.submit(shop, shopper, start) for shopper, start in zip(shoppers, starts, strict=True)]
        time.sleep(rng.uniform(0.15, 0.5))
        stack.signal(stalled, signal.SIGSTOP)
        try:
            time.sleep(1.0)
            stack.signal(victim, signal.SIGKILL)
            stack.processes[victim].wait(timeout=15)
            killed = time.monotonic()
        finally:
            stack.signal(stalled, signal.SIGCONT)
        stack.start_service(victim, migrate=False)
        stack.wait_ready([victim])
        answers = [result.result(timeout=120) for result in results]

    held_together = wait_until_they_hold(stack, staff, {book["id"]}, RECOVERY_BOUND)
    drill_report("answers", {str(a): answers.count(a) for a in set(answers)})
    drill_report("invariants_hold_after_kill_seconds", round(time.monotonic() - killed, 1))
    drill_report("invariants_hold_after_last_answer_seconds", round(held_together, 1))
    # What the sweeps had to finish: the crash left work half-way, or there was nothing to recover.
    recovered = stack.log_path(victim).read_text(errors="replace")[len(log_before) :]
    drill_report("abandoned_checkouts_released", recovered.count("was abandoned: releasing it"))
    drill_report("interrupted_payments_finished", recovered.count("was left "))
