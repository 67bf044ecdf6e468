import gc
import sys

import pytest
from django.urls import clear_url_caches

from common.entrypoints import freeze_startup


def test_what_startup_loaded_is_frozen_and_later_garbage_is_still_collected(monkeypatch):
    # The URLconf and its views not loaded yet, as in a fresh process (put back after).
    for module in ("urls", "views"):
        monkeypatch.delitem(sys.modules, f"tests.{module}")
        monkeypatch.delattr(sys.modules["tests"], module)
    clear_url_caches()
    gc.unfreeze()
    try:
        freeze_startup()
        assert "tests.views" in sys.modules  # loaded at startup, not by the first request
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # Django, DRF and the project: never walked by a full collection again

        cycle = [[]]
        cycle[0].append(cycle)  # garbage a request could leave: only the collector frees it
        del cycle
        assert gc.collect() >= 2
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()  # the rest of the suite runs with the collector as it was
        clear_url_caches()


@pytest.mark.parametrize(("settings_module", "routed"), [("book_service.settings", True), ("gateway.settings", False)])
def test_a_services_api_requests_go_to_the_short_chain_the_gateways_do_not(monkeypatch, settings_module, routed):
    # Only the choice of application: startup's checks, freezing and sweeps stubbed out.
    from django.core import checks, wsgi
    from django.core.handlers.wsgi import WSGIHandler

    from common import entrypoints, sweeps, telemetry
    from common.api_handler import ApiHandler

    django_application = WSGIHandler()
    monkeypatch.setattr(wsgi, "get_wsgi_application", lambda: django_application)
    monkeypatch.setattr(checks, "run_checks", lambda **kwargs: [])
    monkeypatch.setattr(telemetry, "setup", lambda *args, **kwargs: None)
    monkeypatch.setattr(entrypoints, "freeze_startup", lambda: None)
    monkeypatch.setattr(sweeps, "start_in_background", lambda: None)
    monkeypatch.setattr(ApiHandler, "__call__", lambda self, environ, start_response: "api")
    monkeypatch.setattr(WSGIHandler, "__call__", lambda self, environ, start_response: "django")

    application = entrypoints.wsgi_application(settings_module)

    assert application({"PATH_INFO": "/api/books/"}, None) == ("api" if routed else "django")
    assert application({"PATH_INFO": "/admin/"}, None) == "django"
