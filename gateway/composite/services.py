"""The gateway's composite calls: several services, one answer.

Calls to different services run in parallel in a shared thread pool, each with the
caller's token and the request id (the context is copied into the thread).
"""

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial

from common.errors import ApiError, DependencyError, NotFound, error_body
from composite.clients import carts, customers, orders, payments

LATEST_ORDERS = 5

_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="composite")


def _in_parallel(calls: dict[str, Callable]) -> dict[str, Future]:
    return {name: _pool.submit(contextvars.copy_context().run, call) for name, call in calls.items()}


def me_get(*, user_id: int, token: str) -> dict:
    """The caller's account, customer profile, cart summary and latest orders. The
    account is the answer's core: if customer_service cannot give it, that is the
    answer (503/504). Any other part that cannot be read is null and named in
    `unavailable`, so the rest still arrives."""
    futures = _in_parallel(
        {
            "account": partial(customers.account_get, user_id=user_id, token=token),
            "customer": partial(customers.customer_for_account, user_id=user_id, token=token),
            "cart": partial(carts.cart_get, user_id=user_id, token=token),
            "latest_orders": partial(orders.orders_latest, user_id=user_id, token=token, count=LATEST_ORDERS),
        }
    )
    wait(futures.values())  # nothing is left running after the answer
    account = futures.pop("account").result()
    if account is None:
        raise NotFound(f"Account {user_id} no longer exists.", code="account_gone")
    me: dict = {"account": account}
    unavailable = []
    for part, future in futures.items():
        try:
            me[part] = future.result()
        except DependencyError as exc:
            me[part] = None
            unavailable.append({"part": part, "service": exc.service, "code": str(exc.code)})
    me["cart"] = _cart_summary(me["cart"])
    me["unavailable"] = unavailable
    return me


def _cart_summary(cart: dict | None) -> dict | None:
    if cart is None:
        return None
    return {
        "lines": len(cart["items"]),
        "total_quantity": cart["total_quantity"],
        "total_price": cart["total_price"],
        "details_available": cart["details_available"],
    }


@dataclass
class Checkout:
    order: dict
    created: bool
    payment: dict | None = None
    payment_error: ApiError | None = None  # the order stands, but paying it did not happen

    def answer(self) -> tuple[dict, int]:
        """The body and status of the checkout call: the order and the payment (201, or
        200 for a replay); once the order exists, a failed payment is the error shape with
        the order (and the payment, if one was made) added, so the client can pay again."""
        order_id = self.order["id"]
        if self.payment_error is not None:
            error = self.payment_error
            message = f"Order {order_id} was placed but not paid: {error.message}"
            body = error_body(error.code, message, error.details) | {"order": self.order, "payment": None}
            return body, error.status_code
        assert self.payment is not None  # paid, or payment_error above
        if self.payment["status"] == "failed":
            message = f"Order {order_id} was placed but the payment failed: {self.payment.get('failure_message')}"
            details = {"order_id": order_id, "failure_code": self.payment.get("failure_code")}
            body = error_body("payment_failed", message, details) | {"order": self.order, "payment": self.payment}
            return body, 402
        return {"order": self.order, "payment": self.payment}, 201 if self.created else 200


def checkout(*, user_id: int, token: str, idempotency_key: str, method: str, card: dict | None) -> Checkout:
    """Order the caller's cart, then pay for the order, each with its own key derived
    from the caller's Idempotency-Key, so a retry of the whole call makes neither a
    second order nor a second charge. A failure before the order exists is the
    answer; after it, the order is kept and the payment's failure is reported with it
    (the order stays pending and can be paid with POST /api/payments/)."""
    order, created = orders.order_checkout(user_id=user_id, token=token, idempotency_key=f"{idempotency_key}:order")
    result = Checkout(order=order, created=created)
    try:
        result.payment = payments.payment_create(
            order_id=order["id"], method=method, card=card, token=token, idempotency_key=f"{idempotency_key}:payment"
        )
    except ApiError as exc:  # a 4xx passed on, or payment_service down or slow
        result.payment_error = exc
    return result
