"""order_service, as the composite calls need it (with the caller's token)."""

from common.http import client_for
from common.idempotency.header import REPLAYED_HEADER
from composite.peer import dependency_error_passed_on, peer_json

SERVICE = "order"
PAGE = {"count": int, "results": [dict]}
ORDER = {"id": int}


def orders_latest(*, user_id: int, token: str, count: int) -> dict:
    """The user's newest orders: {"count", "results"}."""
    response = client_for(SERVICE).get("/api/orders/", params={"user_id": user_id, "page_size": count}, token=token)
    page = peer_json(response, service=SERVICE, shape=PAGE)
    return {"count": page["count"], "results": page["results"]}


def order_checkout(*, user_id: int, token: str, idempotency_key: str) -> tuple[dict, bool]:
    """3.1: the order made from the user's cart; (order, created). A replay of the same
    key gives the same order, marked replayed, so created is False."""
    response = client_for(SERVICE).post(
        "/api/orders/",
        json={"user_id": user_id},
        headers={"Idempotency-Key": idempotency_key},
        token=token,
        pass_on=(503, 504),  # order_service names what it depends on that failed
    )
    if response.status_code >= 500:
        raise dependency_error_passed_on(response, service=SERVICE)
    order = peer_json(response, service=SERVICE, shape=ORDER, expected=(201,))
    return order, response.headers.get(REPLAYED_HEADER) != "true"
