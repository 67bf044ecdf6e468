"""order_service, as payments need it: read the order being paid for, and ask it to
take the order for a payment (the one step that decides between a payment and a cancel)."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from common.errors import ServiceUnavailable
from common.http import client_for

SERVICE = "order"


@dataclass(frozen=True)
class OrderSummary:
    id: int
    user_id: int
    status: str
    total: Decimal


def order_get(*, order_id: int) -> OrderSummary | None:
    """The order as payments read it (with this service's token: the owner check is ours),
    or None if there is none: GET /api/orders/{id}/payment/, the order without the lines
    and history a customer's read carries, which cost order_service two more reads."""
    response = client_for(SERVICE).get(_payment_path(order_id))
    if response.status_code == 404:
        return None
    return _order_of(response, doing="read the order")


class OrderNotPayable(Exception):
    """The order is not pending, or another payment took it (or it does not exist)."""

    def __init__(self, status: str | None):
        super().__init__(status)
        self.status = status


def order_take(*, order_id: int, payment_id: int, method: str) -> OrderSummary:
    """Ask order_service to let this payment take the order: the order as it is now
    (the same payment asking again after a crash reads what became of it), or
    OrderNotPayable. Not retried on a timeout by the client (a POST): the recovery
    sweep asks again, which is safe since the same payment asking is answered the same."""
    response = client_for(SERVICE).post(_payment_path(order_id), json={"payment_id": payment_id, "method": method})
    if response.status_code in (404, 409):
        raise OrderNotPayable(_error_details(response).get("status"))
    return _order_of(response, doing="take the order")


def _payment_path(order_id: int) -> str:
    return f"/api/orders/{order_id}/payment/"


def _order_of(response, *, doing: str) -> OrderSummary:
    """A 200 answer's order; any other answer, or one this service cannot read, is the
    order service being unavailable."""
    if response.status_code != 200:
        raise ServiceUnavailable(SERVICE, f"The order service refused to {doing} ({response.status_code}).")
    try:
        return _parse(response.json())
    except (ValueError, TypeError, KeyError, InvalidOperation, AttributeError):
        raise ServiceUnavailable(
            SERVICE, "The order service answered with an order this service cannot read."
        ) from None


def _error_details(response) -> dict:
    try:
        details = response.json()["error"]["details"]
    except (ValueError, TypeError, KeyError):
        return {}
    return details if isinstance(details, dict) else {}


def _parse(body: dict) -> OrderSummary:
    order_id, user_id, status = body["id"], body["user_id"], body["status"]
    if not (isinstance(order_id, int) and isinstance(user_id, int) and isinstance(status, str)):
        raise TypeError("bad order")
    if isinstance(body["total"], bool) or not isinstance(body["total"], str | int | float):
        raise TypeError("bad total")
    total = Decimal(str(body["total"]))
    if not total.is_finite() or total < 0:
        raise ValueError("bad total")
    return OrderSummary(id=order_id, user_id=user_id, status=status, total=total.quantize(Decimal("0.01")))
