"""Settings of the inventory service: warehouses and stock."""

from pathlib import Path

from common.settings import service_settings

globals().update(service_settings("inventory", base_dir=Path(__file__).resolve().parent.parent, apps=["stock"]))
