"""Settings of the inventory service: warehouses and stock."""

from pathlib import Path

from common.settings import env_float, service_settings

# common.outbox (the events handled once) and common.revocation: account.deleted and
# account.deactivated, after which the account's tokens are refused here.
globals().update(
    service_settings(
        "inventory",
        base_dir=Path(__file__).resolve().parent.parent,
        apps=["common.outbox", "common.revocation", "stock"],
    )
)

# How long a new reservation is held unless its holder confirms it (the order was saved).
STOCK_HOLD_MINUTES = env_float("STOCK_HOLD_MINUTES", 15.0)
SWEEPS = ["stock.services.reservations_expire"]
