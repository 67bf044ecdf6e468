"""The bodies of every service's manage.py and wsgi.py, so each is two lines."""

import os
import sys


def manage(settings_module: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


def wsgi_application(settings_module: str):
    """The service's WSGI application; refuses to start with development keys and
    DEBUG off (common/checks.py), since waitress runs no checks itself."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    from django.core import checks
    from django.core.exceptions import ImproperlyConfigured
    from django.core.wsgi import get_wsgi_application

    from common.checks import KEYS_TAG

    application = get_wsgi_application()
    errors = [m for m in checks.run_checks(tags=[KEYS_TAG], include_deployment_checks=True) if m.is_serious()]
    if errors:
        raise ImproperlyConfigured("; ".join(f"{m.id}: {m.msg} {m.hint}" for m in errors))
    return application
