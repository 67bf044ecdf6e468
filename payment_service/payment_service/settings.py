"""Settings of the payment service: payments and their transactions."""

from pathlib import Path

from common.settings import service_settings

globals().update(service_settings("payment", base_dir=Path(__file__).resolve().parent.parent, apps=[]))
