"""Settings of the order service: orders, their lines and status history."""

from pathlib import Path

from common.settings import service_settings

globals().update(service_settings("order", base_dir=Path(__file__).resolve().parent.parent, apps=[]))
