"""payment_service, as the composite calls need it (with the caller's token)."""

from common.http import client_for
from composite.peer import peer_json

SERVICE = "payment"
PAYMENT = {"status": str}


def payment_create(*, order_id: int, method: str, card: dict | None, token: str, idempotency_key: str) -> dict:
    """6: pay for the order; the payment whatever its outcome (its `status` says it)."""
    body = {"order_id": order_id, "method": method} | ({"card": card} if card is not None else {})
    response = client_for(SERVICE).post(
        "/api/payments/", json=body, headers={"Idempotency-Key": idempotency_key}, token=token
    )
    return peer_json(response, service=SERVICE, shape=PAYMENT, expected=(200, 201))
