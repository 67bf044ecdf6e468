"""order_service, as payments need it: read the order being paid for."""

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
    """The order (with this service's token: the owner check is ours), or None if there is none."""
    response = client_for(SERVICE).get(f"/api/orders/{order_id}/")
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise ServiceUnavailable(SERVICE, f"The order service refused to read the order ({response.status_code}).")
    try:
        return _parse(response.json())
    except (ValueError, TypeError, KeyError, InvalidOperation, AttributeError):
        raise ServiceUnavailable(
            SERVICE, "The order service answered with an order this service cannot read."
        ) from None


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
