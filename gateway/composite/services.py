"""The gateway's composite calls: several services, one answer.

Calls to different services run in parallel in a shared thread pool, each with the
caller's token and the request id (the context is copied into the thread).
"""

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

from common.errors import DependencyError, NotFound
from composite.clients import carts, customers, orders

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
            unavailable.append({"part": part, "service": exc.details["service"], "code": str(exc.code)})
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
