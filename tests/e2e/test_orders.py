"""Orders through the gateway with every real service behind them: checkout reserves
stock and empties the cart, cancelling gives the stock back, one cart makes one
order however many checkouts race, and events reach a subscriber even one that was down."""

from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
import requests

from tests.e2e.harness import JWT_SIGNING_KEY
from tests.e2e.people import Shopper
from tests.e2e.shop import bearer, make_books, stock


@pytest.fixture(scope="module")
def shop(stack):
    """Two books, 10 of each in the warehouse; staff headers."""
    books = make_books(stack, [("Số đỏ", "45.50"), ("Giông tố", "60.00")], tag="orders")
    stock(stack, [book["id"] for book in books], 10)
    return {"books": books, "staff": bearer(stack.token(user_id=1, is_staff=True))}


def available(stack, http, product_id: int) -> int:
    level = http.get(f"{stack.gateway}/api/warehouse/items/{product_id}/")
    assert level.status_code == 200, level.text
    return level.json()["available"]


def test_sign_up_fill_the_cart_check_out_and_cancel(stack, http, shop):
    so_do, giong_to = shop["books"]
    before = {book["id"]: available(stack, http, book["id"]) for book in shop["books"]}
    shopper = Shopper.signing_up(stack, http, "orders")
    shopper.put_in_cart(so_do["id"], 2)
    shopper.put_in_cart(giong_to["id"], 1)

    created = shopper.checkout(key="first-try")

    assert created.status_code == 201, created.text
    order = created.json()
    assert order["status"] == "pending"
    assert order["total"] == "151.00"
    assert {(line["title"], line["quantity"]) for line in order["lines"]} == {("Số đỏ", 2), ("Giông tố", 1)}
    assert available(stack, http, so_do["id"]) == before[so_do["id"]] - 2
    assert available(stack, http, giong_to["id"]) == before[giong_to["id"]] - 1
    assert shopper.view().json()["items"] == []
    assert [listed["id"] for listed in shopper.orders()] == [order["id"]]
    replay = shopper.checkout(key="first-try")
    assert (replay.status_code, replay.headers.get("Idempotent-Replayed"), replay.json()["id"]) == (
        201,
        "true",
        order["id"],
    )
    created_event = stack.events.wait_for(
        lambda events: [e for e in events if e["type"] == "order.created" and e["payload"]["order_id"] == order["id"]]
    )[0]
    assert created_event["source"] == "order"
    assert created_event["payload"]["total"] == "151.00"

    cancelled = shopper.set_status(order["id"], "cancelled")

    assert cancelled.status_code == 200, cancelled.text
    assert [h["to_status"] for h in cancelled.json()["history"]] == ["pending", "cancelled"]
    assert available(stack, http, so_do["id"]) == before[so_do["id"]]
    assert available(stack, http, giong_to["id"]) == before[giong_to["id"]]
    stack.events.wait_for(
        lambda events: [
            e
            for e in events
            if e["type"] == "order.status_changed"
            and e["payload"] == e["payload"] | {"order_id": order["id"], "to_status": "cancelled"}
        ]
    )
    again = shopper.set_status(order["id"], "paid", headers=shop["staff"])
    assert again.status_code == 409
    assert again.json()["error"]["details"]["allowed"] == []


def test_simultaneous_checkouts_of_one_cart_make_one_order(stack, http, shop):
    shopper = Shopper.signing_up(stack, http, "orders")
    shopper.put_in_cart(shop["books"][0]["id"], 1)

    def attempt(_):
        with requests.Session() as session:
            return shopper.checkout(session=session)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(attempt, range(8)))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(201) == 1, [a.text for a in answers]
    assert set(statuses) <= {201, 409}, [a.text for a in answers]
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} <= {
        "checkout_in_progress",
        "cart_empty",
    }
    assert len(shopper.orders()) == 1


def test_simultaneous_retries_with_one_key_get_the_same_order(stack, http, shop):
    shopper = Shopper.signing_up(stack, http, "orders")
    shopper.put_in_cart(shop["books"][1]["id"], 1)

    def attempt(_):
        with requests.Session() as session:
            return shopper.checkout(key="one-key", session=session)

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(attempt, range(6)))

    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == [""] + ["true"] * 5
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(shopper.orders()) == 1


def test_not_enough_stock_is_409_naming_the_book_and_nothing_changes(stack, http, shop):
    so_do = shop["books"][0]
    shopper = Shopper.signing_up(stack, http, "orders")
    before = available(stack, http, so_do["id"])
    shopper.put_in_cart(so_do["id"], before + 1)

    response = shopper.checkout()

    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "insufficient_stock"
    assert [item["product_id"] for item in error["details"]["items"]] == [so_do["id"]]
    assert available(stack, http, so_do["id"]) == before
    assert len(shopper.view().json()["items"]) == 1
    assert shopper.orders() == []


def test_inventory_down_is_503_and_leaves_no_order_and_the_cart_as_it_was(stack, http, shop):
    shopper = Shopper.signing_up(stack, http, "orders")
    shopper.put_in_cart(shop["books"][0]["id"], 1)

    with stack.stopped("inventory"):
        response = shopper.checkout()

    assert response.status_code == 503, response.text
    assert response.json()["error"]["details"] == {"service": "inventory"}
    assert shopper.orders() == []
    assert len(shopper.view().json()["items"]) == 1
    assert shopper.checkout().status_code == 201  # and it works once inventory is back


def test_an_event_is_redelivered_after_the_subscriber_was_down(stack, http, shop):
    shopper = Shopper.signing_up(stack, http, "orders")
    shopper.put_in_cart(shop["books"][1]["id"], 1)
    order = shopper.checkout().json()

    def paid(events):
        return [e for e in events if e["type"] == "order.status_changed" and e["payload"]["order_id"] == order["id"]]

    with stack.events.down():
        response = shopper.set_status(order["id"], "paid", headers=shop["staff"])
        assert response.status_code == 200, response.text  # the change does not wait for subscribers
        assert paid(list(stack.events.events.values())) == []

    event = stack.events.wait_for(paid)[0]
    token = stack.events.authorizations[-1].removeprefix("Bearer ")
    assert jwt.decode(token, JWT_SIGNING_KEY, algorithms=["HS256"])["service"] == "order"
    assert event["payload"]["from_status"] == "pending"
    assert event["payload"]["to_status"] == "paid"
    assert event["payload"]["changed_by"] == "staff 1"


def test_orders_need_a_token_and_belong_to_their_customer(stack, http, shop):
    shopper = Shopper.signing_up(stack, http, "orders")
    shopper.put_in_cart(shop["books"][0]["id"], 1)
    order = shopper.checkout().json()
    stranger = bearer(stack.token(user_id=987654))

    # Someone else's order is not there for a stranger: the 404 of one that does not exist.
    assert http.get(f"{stack.gateway}/api/orders/{order['id']}/", headers=stranger).status_code == 404
    assert http.get(f"{stack.gateway}/api/orders/{order['id']}/").status_code == 401
    assert (
        http.post(f"{stack.gateway}/api/orders/", json={"user_id": shopper.user_id}, headers=stranger).status_code
        == 403
    )
    assert shopper.set_status(order["id"], "paid").status_code == 403
    staff_view = http.get(f"{stack.gateway}/api/orders/", params={"user_id": shopper.user_id}, headers=shop["staff"])
    assert [o["id"] for o in staff_view.json()["results"]] == [order["id"]]
