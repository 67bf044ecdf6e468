"""The shop's customers and its staff, for locust; `python -m bench.load` runs it.

Everything goes through the gateway. The shop to act on (customers with their
tokens, the books in stock, search words, the staff token) is prepared by
bench/load/shop.py and handed over in the JSON file named by BENCH_SHOP. Weights give
the mix of the issue: browsing and searching about 70% of a customer's tasks,
the cart about 20%, checking out and paying about 10%; one staff user writes
the catalog and the stock now and then.

Request names group paths by their pattern (`/api/books/{id}/`), so each row of
the results is an endpoint, not a URL. Users are FastHttpUsers (geventhttpclient),
not requests-based HttpUsers: the load generator shares the machine with the shop, and
they take less of its CPU per request (docs/performance.md).
"""

import itertools
import json
import os
import random
import uuid

from locust import FastHttpUser, between, constant, task

SHOP = json.loads(open(os.environ["BENCH_SHOP"]).read())  # noqa: SIM115 (read once at import)
THINK = (SHOP["think_min"], SHOP["think_max"])
CARD_OK = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "cvc": "737"}
_customers = itertools.cycle(SHOP["customers"])  # locust runs users as greenlets of one thread
pick = random.Random()  # noqa: S311 (which book, which word: load-test choices, nothing secret)


def think():
    return constant(0) if THINK[1] == 0 else between(*THINK)


class Customer(FastHttpUser):
    wait_time = think()

    def on_start(self) -> None:
        customer = next(_customers)
        self.user_id = customer["user_id"]
        self.client.auth_header = f"Bearer {customer['access']}"
        self.in_cart = 0

    # Browse and search: 7 of 10.
    @task(2)
    def browse_books(self) -> None:
        self.client.get(f"/api/books/?page={pick.randint(1, SHOP['book_pages'])}", name="/api/books/?page=")

    @task(3)
    def search_books(self) -> None:
        term = pick.choice(SHOP["search_terms"])
        self.client.get("/api/books/search/", params={"search_term": term}, name="/api/books/search/?search_term=")

    @task(2)
    def read_book(self) -> None:
        self.client.get(f"/api/books/{pick.choice(SHOP['book_ids'])}/", name="/api/books/{id}/")

    # The cart: 2 of 10.
    @task(1)
    def add_to_cart(self) -> None:
        self._add_to_cart()

    @task(1)
    def view_cart(self) -> None:
        self.client.get(f"/api/carts/{self.user_id}/", name="/api/carts/{user_id}/")

    # Check out and pay: 1 of 10.
    @task(1)
    def check_out_and_pay(self) -> None:
        if not self.in_cart:
            self._add_to_cart()
        with self.client.post(
            "/api/orders/",
            json={"user_id": self.user_id},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            name="/api/orders/ (checkout)",
            catch_response=True,
        ) as checkout:
            if checkout.status_code != 201:
                checkout.failure(f"checkout answered {checkout.status_code}: {checkout.text[:200]}")
                return
            self.in_cart = 0
            order_id = checkout.json()["id"]
        with self.client.post(
            "/api/payments/",
            json={"order_id": order_id, "method": "card", "card": CARD_OK},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            name="/api/payments/ (card)",
            catch_response=True,
        ) as payment:
            if payment.status_code != 201 or payment.json().get("status") != "succeeded":
                payment.failure(f"payment answered {payment.status_code}: {payment.text[:200]}")

    def _add_to_cart(self) -> None:
        product_id = pick.choice(SHOP["stocked_ids"])
        response = self.client.post(
            f"/api/carts/{self.user_id}/items/",
            json={"product_id": product_id, "quantity": pick.randint(1, 2)},
            name="/api/carts/{user_id}/items/",
        )
        if response.status_code in (200, 201):
            self.in_cart += 1


class Staff(FastHttpUser):
    """One member of staff among the customers: a new book now and then, more stock, a new price."""

    fixed_count = 1
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.client.auth_header = f"Bearer {SHOP['staff_access']}"

    @task(1)
    def add_book(self) -> None:
        body = {
            "title": f"Load test book {uuid.uuid4().hex[:8]}",
            "author_id": SHOP["author_id"],
            "category_id": SHOP["category_id"],
            "published_date": "2024-01-01",
            "price": f"{pick.randint(5, 60)}.50",
            "description": "",
        }
        self.client.post("/api/books/", json=body, name="/api/books/ (staff)")

    @task(1)
    def restock(self) -> None:
        body = {"product_id": pick.choice(SHOP["stocked_ids"]), "quantity": 10}
        self.client.post("/api/warehouse/items/", json=body, name="/api/warehouse/items/ (staff)")

    @task(1)
    def reprice(self) -> None:
        book_id = pick.choice(SHOP["book_ids"])
        body = {"price": f"{pick.randint(5, 60)}.25"}
        self.client.patch(f"/api/books/{book_id}/", json=body, name="/api/books/{id}/ (staff)")


class Ceiling(FastHttpUser):
    """The trivial endpoint: book_service's /health/ (no database), straight, no think time.
    Run on its own after the shop, with the same number of users."""

    wait_time = constant(0)

    @task
    def health(self) -> None:
        self.client.get("/health/", name="/health/ (book_service, ceiling)")
