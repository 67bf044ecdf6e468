"""Settings of the inventory service: warehouses and stock."""

from pathlib import Path

from common.settings import env_float, service_settings

globals().update(service_settings("inventory", base_dir=Path(__file__).resolve().parent.parent, apps=["stock"]))

# How long a new reservation is held unless its holder confirms it (the order was saved).
STOCK_HOLD_MINUTES = env_float("STOCK_HOLD_MINUTES", 15.0)
SWEEPS = ["stock.services.reservations_expire"]
