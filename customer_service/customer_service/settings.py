"""Settings of the customer service: accounts, login, full names, addresses, customers."""

from pathlib import Path

from common.settings import service_settings

globals().update(service_settings("customer", base_dir=Path(__file__).resolve().parent.parent, apps=[]))
