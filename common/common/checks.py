"""System checks of our own. Deployment checks: run by `manage.py check --deploy`
and by the WSGI entry point before a service serves anything, not by every
management command (makemigrations needs no production keys)."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

# Every key this repository ships for local use starts with this; none may run in production.
DEVELOPMENT_KEY_PREFIX = "insecure-"
KEYS_TAG = "keys"
HINTS = {
    "SECRET_KEY": "Set SECRET_KEY to a long random secret",
    "JWT_SIGNING_KEY": "Set JWT_SIGNING_KEY to a long random secret, the same for every service,",
}


@checks.register(checks.Tags.security, KEYS_TAG, deploy=True)
def development_keys_need_debug(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """With DEBUG off a service is in production: a development SECRET_KEY or JWT
    signing key (public in this repository) would let anyone forge sessions or tokens."""
    if settings.DEBUG:
        return []
    keys = {"SECRET_KEY": settings.SECRET_KEY, "JWT_SIGNING_KEY": settings.SIMPLE_JWT["SIGNING_KEY"]}
    return [
        checks.Error(
            f"{name} is a development key and DEBUG is off.",
            hint=f"{HINTS[name]} or DEBUG=1 for local development.",
            id="common.E001",
        )
        for name, value in keys.items()
        if value.startswith(DEVELOPMENT_KEY_PREFIX)
    ]
