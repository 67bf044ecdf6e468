"""cart_service, as the composite calls need it (with the caller's token)."""

from common.http import client_for
from composite.peer import peer_json

SERVICE = "cart"
# What the summary in /api/me/ reads of a cart view (5.4).
CART = {"items": [dict], "total_quantity": int, "total_price": str, "details_available": bool}


def cart_get(*, user_id: int, token: str) -> dict | None:
    """The cart view (5.4), or None when the user has no cart yet."""
    response = client_for(SERVICE).get(f"/api/carts/{user_id}/", token=token)
    return None if response.status_code == 404 else peer_json(response, service=SERVICE, shape=CART)
