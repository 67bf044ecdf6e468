"""The bodies of every service's manage.py and wsgi.py, so each is two lines."""

import gc
import os
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from common.api_handler import WSGIApplication


def manage(settings_module: str) -> None:
    # As a container's first process (PID 1) a command ignores SIGTERM unless it handles
    # it: until a command installs its own (the dispatcher's graceful stop), it ends it.
    signal.signal(signal.SIGTERM, _ended_by_sigterm)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    from django.core.management import execute_from_command_line

    from common import telemetry

    if len(sys.argv) > 1 and sys.argv[1] in telemetry.TRACED_COMMANDS:  # a worker: traced if OTEL_* asks
        telemetry.setup(_service_of(settings_module), process=sys.argv[1])

    execute_from_command_line(sys.argv)


def _service_of(settings_module: str) -> str:
    """The registry's name of the service whose settings these are ("order_service.settings": order)."""
    from common.registry import SERVICES

    folder = settings_module.split(".", 1)[0]
    return next((service.name for service in SERVICES.values() if service.folder == folder), folder)


def _ended_by_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signal.SIGTERM)  # the status a shell gives a process SIGTERM ended


def wsgi_application(settings_module: str) -> "WSGIApplication":
    """The service's WSGI application, whose API requests skip the middleware only the
    admin uses (common.api_handler); refuses to start with development keys and
    DEBUG off (common/checks.py), since waitress runs no checks itself. Tracing is set
    up first when the environment asks for it (common.telemetry). What it has loaded by
    then is frozen out of the garbage collector's reach (freeze_startup). Then the
    service's sweeps start (common.sweeps)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    from django.core import checks
    from django.core.exceptions import ImproperlyConfigured
    from django.core.wsgi import get_wsgi_application

    from common import telemetry
    from common.checks import KEYS_TAG

    # Before the middleware chain is built and any database connection made (common.telemetry).
    service = _service_of(settings_module)
    telemetry.setup(service, process="web")
    django_application = get_wsgi_application()
    from common.api_handler import api_routed_application

    # The gateway routes its forwarded requests itself (gateway/routing/handler.py).
    application = django_application if service == "gateway" else api_routed_application(django_application)
    errors = [m for m in checks.run_checks(tags=[KEYS_TAG], include_deployment_checks=True) if m.is_serious()]
    if errors:
        raise ImproperlyConfigured("; ".join(f"{m.id}: {m.msg} {m.hint}" for m in errors))
    freeze_startup()
    from common import sweeps

    sweeps.start_in_background()
    return application


def freeze_startup() -> None:
    """Loads every view now rather than on the first request, then moves everything
    loaded so far into the collector's permanent generation (gc.freeze).

    A full (oldest-generation) collection otherwise walks all of Django, DRF and the
    service's modules, objects that live as long as the process, with every thread of
    the service stopped: a pause that shows in the latency of requests under load
    (docs/performance.md). Frozen, those objects are never walked again; what requests
    leave behind is still collected as before."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the property imports the URLconf and its views)
    gc.collect()
    gc.freeze()
