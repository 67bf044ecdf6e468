"""Settings of the cart service: carts and their items."""

from pathlib import Path

from common.settings import service_settings

globals().update(service_settings("cart", base_dir=Path(__file__).resolve().parent.parent, apps=[]))
