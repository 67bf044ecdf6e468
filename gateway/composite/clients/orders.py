"""order_service, as the composite calls need it (with the caller's token)."""

from common.http import client_for
from composite.peer import peer_json


def orders_latest(*, user_id: int, token: str, count: int) -> dict:
    """The user's newest orders: {"count", "results"}."""
    response = client_for("order").get("/api/orders/", params={"user_id": user_id, "page_size": count}, token=token)
    page = peer_json(response)
    return {"count": page["count"], "results": page["results"]}
