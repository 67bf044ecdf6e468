"""Giving a reservation's stock back, as checkout and a cancel both schedule it."""

from common.outbox.publisher import ScheduledCall, schedule_call
from orders.clients import inventory


def release_scheduled(*, reference: str, try_now: bool = True, order_id: int | None = None) -> ScheduledCall:
    """Inside the caller's transaction: the outbox call releasing `reference` in inventory
    (idempotent), made at once after the commit with `try_now`, else by the dispatcher."""
    return schedule_call(
        name="stock.release",
        service=inventory.SERVICE,
        method="DELETE",
        path=inventory.reservation_path(reference),
        payload={"order_id": order_id} if order_id else None,
        key=f"reservation:{reference}",
        try_now=try_now,
    )
