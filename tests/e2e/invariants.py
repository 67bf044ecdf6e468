"""The shop's invariants, read back from the running stack: what every drill checks
after it has done its worst.

1. Every held unit belongs to an open order and every open order's units are held:
   for each book, inventory's `reserved` equals the quantities of the orders that are
   not cancelled (nothing takes reserved units off the shelves yet, so shipped and
   delivered orders keep theirs).
2. No card is charged without an order that took the payment: every charge the
   payment provider captured (the sandbox's own books, read from its table, not the
   payment service's view of them) belongs to a payment whose order exists and names
   that payment.
3. What was charged was paid or refunded: a cancelled order's charge is voided or
   refunded, never left captured; a card-paid order that is not cancelled has one
   charge, captured or refunded, of exactly its total.
4. Nothing is left half-way: no payment processing, authorized or refunding, no
   order pending past its payment time.
5. The catalog says in stock what inventory has for sale: each book's `in_stock` in
   book_service (kept from inventory's events) is whether inventory has a unit of it
   available.

Reads go through the gateway as staff, except the provider's books. A drill names its
books: the check covers them, the orders holding them and those orders' payments, so
other tests sharing the stack (which reserve stock by hand, say) do not count.
"""

import time
from collections import defaultdict
from decimal import Decimal

import requests

IN_FLIGHT = {"processing", "authorized", "refunding"}


class Unreadable(Exception):
    """The state cannot be read right now (a service restarting): try again."""


def _all(stack, http, staff: dict, path: str, **params) -> list[dict]:
    rows, page = [], 1
    while True:
        response = http.get(
            f"{stack.gateway}{path}", params={**params, "page": page, "page_size": 100}, headers=staff, timeout=30
        )
        if response.status_code in (502, 503, 504):  # a service restarting, or its breaker open for a moment
            raise Unreadable(f"{path}: {response.status_code}")
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
        body = response.json()
        rows += body["results"]
        if not body["next"]:
            return rows
        page += 1


def provider_books(stack) -> list[tuple[str, str, Decimal]]:
    """(reference, state, amount) of every charge the sandbox provider knows."""
    rows = stack.query("payment", "SELECT reference, state, amount FROM payments_sandboxcharge")
    return [(reference, state, Decimal(str(amount))) for reference, state, amount in rows]


def violations(stack, http, staff: dict, books: set[int]) -> list[str]:
    """Every way the shop breaks its invariants now for `books`; empty when all hold."""
    found = []
    orders = {
        order["id"]: order
        for order in _all(stack, http, staff, "/api/orders/")
        if any(line["product_id"] in books for line in order["lines"])
    }
    payments = {
        payment["id"]: payment
        for payment in _all(stack, http, staff, "/api/payments/")
        if payment["order_id"] in orders
    }
    response = http.get(f"{stack.gateway}/api/warehouse/items/", params={"ids": ",".join(map(str, sorted(books)))})
    if response.status_code in (502, 503, 504):
        raise Unreadable(f"stock levels: {response.status_code}")
    assert response.status_code == 200, response.text
    levels = response.json()["results"]

    held_for_orders: dict[int, int] = defaultdict(int)
    for order in orders.values():
        if order["status"] != "cancelled":
            for line in order["lines"]:
                held_for_orders[line["product_id"]] += line["quantity"]
    for level in levels:
        if level["product_type"] == "book" and level["reserved"] != held_for_orders.get(level["product_id"], 0):
            found.append(
                f"book {level['product_id']}: {level['reserved']} units held, "
                f"open orders have {held_for_orders.get(level['product_id'], 0)}"
            )

    found += _catalog_stock_disagreements(stack, http, books, levels)

    charges_of_order: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for reference, state, amount in provider_books(stack):
        payment_id = int(reference.removeprefix("payment-"))
        payment = payments.get(payment_id)
        if payment is None:  # not one of these books' payments, or none at all
            if state == "captured" and not _payment_exists(stack, http, staff, payment_id):
                found.append(f"{reference} is captured but there is no such payment")
            continue
        order = orders.get(payment["order_id"])
        if state == "captured" and (order is None or order["payment_id"] != payment["id"]):
            found.append(f"{reference} is captured but order {payment['order_id']} did not take that payment")
        charges_of_order[payment["order_id"]].append((state, amount))
    for order in orders.values():
        charges = charges_of_order.get(order["id"], [])
        if order["status"] == "cancelled":
            if any(state in ("captured", "authorized") for state, _ in charges):
                found.append(f"order {order['id']} is cancelled but its charge is {charges}")
        elif order["payment_id"] and not order["cash_on_delivery"]:
            taken = [amount for state, amount in charges if state in ("captured", "refunded")]
            if taken != [Decimal(order["total"])]:
                found.append(f"order {order['id']} ({order['status']}, {order['total']}) has charges {charges}")
        if order["status"] == "pending" and order["payment_due_at"] and order["payment_id"] is None:
            due = time.strptime(order["payment_due_at"][:19], "%Y-%m-%dT%H:%M:%S")
            if time.mktime(due) - time.timezone < time.time() - 30:
                found.append(f"order {order['id']} is pending long past its payment time")
    for payment in payments.values():
        if payment["status"] in IN_FLIGHT:
            found.append(f"payment {payment['id']} is still {payment['status']}")
        if payment["order_id"] not in orders:
            found.append(f"payment {payment['id']} is for order {payment['order_id']}, which does not exist")
    return found


def _catalog_stock_disagreements(stack, http, books: set[int], levels: list[dict]) -> list[str]:
    response = http.get(f"{stack.gateway}/api/books/", params={"ids": ",".join(map(str, sorted(books)))})
    if response.status_code in (502, 503, 504):
        raise Unreadable(f"books: {response.status_code}")
    assert response.status_code == 200, response.text
    for_sale = {level["product_id"]: level["available"] > 0 for level in levels if level["product_type"] == "book"}
    return [
        f"book {book['id']}: the catalog says in_stock {book['in_stock']}, inventory has "
        f"{'some' if for_sale.get(book['id'], False) else 'none'} for sale"
        for book in response.json()["results"]
        if book["in_stock"] != for_sale.get(book["id"], False)
    ]


def _payment_exists(stack, http, staff: dict, payment_id: int) -> bool:
    return http.get(f"{stack.gateway}/api/payments/{payment_id}/", headers=staff, timeout=30).status_code == 200


def wait_until_they_hold(stack, staff: dict, books: set[int], timeout: float) -> float:
    """Seconds until every invariant holds for `books` (the system repairs itself:
    sweeps, outbox); fails naming what still does not after `timeout`."""
    started = time.monotonic()
    with requests.Session() as http:
        while True:
            try:
                found = violations(stack, http, staff, books)
            except Unreadable as exc:
                found = [str(exc)]
            if not found:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise AssertionError(f"invariants still broken after {timeout:.0f}s:\n" + "\n".join(found[:30]))
            time.sleep(0.5)
