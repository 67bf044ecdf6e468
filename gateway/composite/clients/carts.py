"""cart_service, as the composite calls need it (with the caller's token)."""

from common.http import client_for
from composite.peer import peer_json


def cart_get(*, user_id: int, token: str) -> dict | None:
    """The cart view (5.4), or None when the user has no cart yet."""
    response = client_for("cart").get(f"/api/carts/{user_id}/", token=token)
    return None if response.status_code == 404 else peer_json(response)
