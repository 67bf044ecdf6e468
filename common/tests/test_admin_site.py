import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from django.contrib import admin
from django.test import Client

from common.admin_site import AdminSite
from common.outbox.models import OutboxEvent

# What a fresh process of a service has loaded once its URLconf is (common.entrypoints:
# freeze_startup), and what resolving an admin path loads then.
STARTUP = """
import sys
import django
from django.urls import get_resolver, resolve

django.setup()
get_resolver().url_patterns
print(sorted(m for m in ("common.outbox.admin", "drf_spectacular.views") if m in sys.modules))
resolve("/admin/")
from django.contrib import admin
from common.outbox.models import OutboxEvent
print("common.outbox.admin" in sys.modules, admin.site._registry.get(OutboxEvent).__class__.__name__)
"""


def test_a_fresh_process_loads_the_admin_modules_and_the_schema_views_on_first_use_only():
    assert run(STARTUP) == ["[]", "True OutboxEventAdmin"]


def run(script: str) -> list[str]:
    """The lines `script` prints, run in a fresh process with this suite's settings."""
    common_dir = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=common_dir,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(common_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


CHECKS = """
import sys
import django
from django.core import checks

django.setup()
print("common.outbox.admin" in sys.modules, checks.run_checks(tags=["admin"]), "common.outbox.admin" in sys.modules)
"""


def test_the_admins_system_checks_check_every_model_admin():
    assert run(CHECKS) == ["False [] True"]


def test_the_site_discovers_once_whatever_asks_first(monkeypatch):
    discovered = []
    monkeypatch.setattr(admin, "autodiscover", lambda: discovered.append(True))
    site = AdminSite(name="lazy")

    assert not site.is_registered(OutboxEvent)
    site.get_urls()
    site.check(None)
    assert discovered == [True]  # once, whatever asked first


def test_threads_asking_at_once_all_wait_for_one_discovery(monkeypatch):
    site = AdminSite(name="lazy")
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow_discovery():
        calls.append(True)
        started.set()
        release.wait(5)
        site.register(OutboxEvent)

    monkeypatch.setattr(admin, "autodiscover", slow_discovery)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(site.is_registered(OutboxEvent))) for _ in range(4)]
    for thread in threads:
        thread.start()
    started.wait(5)
    release.set()
    for thread in threads:
        thread.join(5)
    assert calls == [True]
    assert answers == [True] * 4  # none answered from a registry half discovered


def test_an_admin_module_asking_the_site_while_it_is_discovered_gets_an_answer(monkeypatch):
    site = AdminSite(name="lazy")

    def discovery_that_asks():
        site.register(OutboxEvent)
        assert site.get_model_admin(OutboxEvent).model is OutboxEvent  # as `admin.site.unregister` users do

    monkeypatch.setattr(admin, "autodiscover", discovery_that_asks)
    assert site.is_registered(OutboxEvent)


def test_the_default_site_is_the_lazy_one_with_every_model_admin():
    assert isinstance(admin.site, AdminSite)
    assert admin.site.get_model_admin(OutboxEvent).__class__.__name__ == "OutboxEventAdmin"


def test_schema_views_made_on_first_request_are_exempt_from_csrf_as_drfs_are():
    client = Client(enforce_csrf_checks=True)
    assert client.post("/api/schema/").status_code == 405
    assert client.post("/api/docs/").status_code == 405
