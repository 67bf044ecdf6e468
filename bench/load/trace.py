"""Calls between services per checkout: one checkout and one payment with known request
ids, and the access-log lines carrying those ids in every service but the gateway
(event deliveries included, which carry the id on)."""

import time
import uuid
from collections import Counter

import requests

from bench.load.shop import ok
from common.registry import SERVICES
from tests.e2e.harness import Stack

CARD_OK = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "cvc": "737"}


def access_lines(stack: Stack, request_id: str) -> list[tuple[str, str]]:
    """(service, "METHOD path status ms") of each access-log line carrying the id
    (common.access_log), the gateway's own excepted."""
    found = []
    for name in SERVICES:
        if name == "gateway":
            continue
        for line in stack.log_path(name).read_text(errors="replace").splitlines():
            if f"[{request_id}] access: " in line:
                method, path, status, ms = line.split("] access: ", 1)[1].split()[:4]
                found.append((name, f"{method} {path} {status.removeprefix('status=')} {ms.removeprefix('ms=')}ms"))
    return found


def trace_checkout(stack: Stack, shop: dict) -> dict:
    """One checkout and one payment with known request ids; waits until the event
    deliveries they cause have arrived (the count stops changing)."""
    gateway, tracer = stack.gateway, shop["tracer"]
    ids = {"checkout": f"bench-checkout-{uuid.uuid4().hex[:12]}", "payment": f"bench-payment-{uuid.uuid4().hex[:12]}"}
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {tracer['access']}"
        added = http.post(
            f"{gateway}/api/carts/{tracer['user_id']}/items/",
            json={"product_id": shop["stocked_ids"][0], "quantity": 2},
        )
        ok(added)
        order = http.post(
            f"{gateway}/api/orders/",
            json={"user_id": tracer["user_id"]},
            headers={"Idempotency-Key": uuid.uuid4().hex, "X-Request-ID": ids["checkout"]},
        )
        ok(order)
        payment = http.post(
            f"{gateway}/api/payments/",
            json={"order_id": order.json()["id"], "method": "card", "card": CARD_OK},
            headers={"Idempotency-Key": uuid.uuid4().hex, "X-Request-ID": ids["payment"]},
        )
        ok(payment)
    # Events and what they cause (notification_service's email lookup) come later, from
    # background threads and dispatchers: done once the count holds for 6 s.
    traced, counts, deadline = {}, [], time.monotonic() + 30
    while time.monotonic() < deadline and (len(counts) < 4 or len(set(counts[-4:])) > 1):
        time.sleep(2)
        traced = {step: access_lines(stack, request_id) for step, request_id in ids.items()}
        counts.append(sum(len(lines) for lines in traced.values()))
    return {
        step: {
            "calls": len(lines),
            "by_service": dict(Counter(service for service, _ in lines)),
            "requests": [f"{service}: {request}" for service, request in lines],
        }
        for step, lines in traced.items()
    } | {"total": sum(len(lines) for lines in traced.values())}
