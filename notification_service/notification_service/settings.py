"""Settings of the notification service: notifications and their delivery."""

from pathlib import Path

from common.settings import service_settings

globals().update(service_settings("notification", base_dir=Path(__file__).resolve().parent.parent, apps=[]))
