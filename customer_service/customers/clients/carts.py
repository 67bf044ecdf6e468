"""cart_service, as this service calls it: 5.1 create the cart of an account."""

from dataclasses import dataclass

from common.errors import ServiceUnavailable
from common.http import client_for, peer_body

SERVICE = "cart"


@dataclass(frozen=True)
class CartRef:
    user_id: int
    created: bool  # False: the account already had a cart


def cart_create(*, user_id: int) -> CartRef:
    """Creates the account's cart, or finds the one it has (cart_service answers 201
    or 200; either is success). Called with this service's own service token, which
    may create any user's cart. Down, slow or answering anything else: 503/504."""
    response = client_for(SERVICE).post("/api/carts/", json={"user_id": user_id})
    if response.status_code not in (200, 201):
        raise ServiceUnavailable(SERVICE, f"The cart service refused to create the cart ({response.status_code}).")
    body = peer_body(response, service=SERVICE, shape={"user_id": int})
    if body["user_id"] != user_id:
        raise ServiceUnavailable(SERVICE, "The cart service answered with the cart of another user.")
    return CartRef(user_id=user_id, created=response.status_code == 201)
