"""Settings of the order service: orders, their lines and status history."""

from pathlib import Path

from common.settings import service_settings

# common.outbox: order.created / order.status_changed events and the cart-clearing
# and stock-release calls, written in the transaction of the change.
APPS = ["common.outbox", "orders"]

globals().update(service_settings("order", base_dir=Path(__file__).resolve().parent.parent, apps=APPS))

# One name for the status choices the schema shows in several places.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {"OrderStatusEnum": "orders.models.OrderStatus"}  # noqa: F821
