"""inventory_service, as orders need it: reserve stock for every line at once, release it."""

from dataclasses import dataclass

from common.errors import Conflict, ServiceUnavailable
from common.http import client_for
from orders.errors import OrderErrorCode

SERVICE = "inventory"


@dataclass(frozen=True)
class ReservationItem:
    product_id: int
    quantity: int


def reservation_path(reference: str) -> str:
    """DELETE here releases a reservation (idempotent): the path the outbox retries."""
    return f"/api/warehouse/reservations/{reference}/"


def reservation_confirm_path(reference: str) -> str:
    """POST here confirms a hold (the order was saved), so it no longer expires (idempotent)."""
    return f"/api/warehouse/reservations/{reference}/confirm/"


def stock_reserve(*, reference: str, items: list[ReservationItem]) -> None:
    """All lines or none, in one call; a 409 names the short lines. Idempotent per reference."""
    body = {"reference": reference, "items": [{"product_id": i.product_id, "quantity": i.quantity} for i in items]}
    response = client_for(SERVICE).post("/api/warehouse/reservations/", json=body)
    if response.status_code in (200, 201):
        return
    error = _error_of(response)
    if response.status_code == 409:
        raise Conflict(
            error.get("message") or "Not enough stock; nothing was reserved.",
            code=OrderErrorCode.INSUFFICIENT_STOCK,
            details=error.get("details") or None,
        )
    raise ServiceUnavailable(SERVICE, f"The inventory service refused the reservation ({response.status_code}).")


def stock_release(*, reference: str) -> None:
    """Put a reservation's units back on sale; releasing twice, or a reference never made, is fine."""
    response = client_for(SERVICE).delete(reservation_path(reference))
    if response.status_code not in (200, 204, 404):
        raise ServiceUnavailable(SERVICE, f"The inventory service refused the release ({response.status_code}).")


def _error_of(response) -> dict:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}
