"""common.sweeps: each service's sweeps (and its apps') run once per round, one failing
does not stop the others, and the web process's thread runs them until told to stop."""

import threading

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import OperationalError

from common import sweeps

ran: list[str] = []


def counts_two() -> int:
    ran.append("counts_two")
    return 2


def fails() -> int:
    ran.append("fails")
    raise ValueError("a bug in a sweep")


def database_down() -> int:
    ran.append("database_down")
    raise OperationalError("server closed the connection")


def nothing_to_do() -> int:
    ran.append("nothing_to_do")
    return 0


def two_rounds_of_work() -> int:
    ran.append("work")
    return 1 if len(ran) <= 2 else 0


def path(function) -> str:
    return f"{__name__}.{function.__name__}"


@pytest.fixture(autouse=True)
def _fresh(settings):
    ran.clear()
    # This suite installs common.idempotency and common.outbox, whose purge sweeps run
    # beside the listed ones: off here, so these rounds run only the sweeps of this module.
    settings.IDEMPOTENCY_PURGE_SECONDS = 0
    settings.PROCESSED_EVENTS_PURGE_SECONDS = 0


def test_a_round_runs_every_sweep_and_adds_what_they_changed(settings):
    settings.SWEEPS = [path(counts_two), path(nothing_to_do), path(counts_two)]
    assert sweeps.sweep_once() == 4
    assert ran == ["counts_two", "nothing_to_do", "counts_two"]


def test_a_failing_sweep_is_logged_and_the_others_still_run(settings, caplog):
    settings.SWEEPS = [path(fails), path(database_down), path(counts_two)]
    assert sweeps.sweep_once() == 2
    assert ran == ["fails", "database_down", "counts_two"]
    assert "a bug in a sweep" in caplog.text
    assert "database unavailable" in caplog.text


def test_the_thread_sweeps_again_at_once_while_there_is_work_then_waits(settings):
    settings.SWEEPS = [path(two_rounds_of_work)]
    stop = threading.Event()
    thread = threading.Thread(target=sweeps.run, args=(stop,), kwargs={"every_seconds": 30})
    thread.start()
    try:
        for _ in range(100):
            if len(ran) >= 3:
                break
            threading.Event().wait(0.02)
        threading.Event().wait(0.2)
        # Two rounds that changed something, the third found nothing: now it waits 30 s.
        assert ran == ["work", "work", "work"]
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()


def without_app_sweeps(monkeypatch) -> None:
    for label in ("outbox", "idempotency"):
        monkeypatch.setattr(apps.get_app_config(label), "sweeps", ())


def test_an_installed_apps_sweeps_run_after_the_services_own(settings, monkeypatch):
    settings.SWEEPS = [path(counts_two)]
    assert sweeps.sweep_paths() == [
        path(counts_two),
        "common.outbox.retention.processed_events_purge_sweep",
        "common.idempotency.keys.keys_purge_sweep",
    ]
    without_app_sweeps(monkeypatch)
    assert sweeps.sweep_paths() == [path(counts_two)]


def test_no_thread_without_sweeps_or_with_sweep_seconds_0(settings, monkeypatch):
    settings.SWEEPS = []
    without_app_sweeps(monkeypatch)
    assert sweeps.start_in_background() is None
    settings.SWEEPS = [path(nothing_to_do)]
    settings.SWEEP_SECONDS = 0
    assert sweeps.start_in_background() is None


def test_manage_py_sweep_runs_them_once(settings, capsys):
    settings.SWEEPS = [path(counts_two)]
    call_command("sweep")
    assert capsys.readouterr().out.strip() == "changed 2"
    assert ran == ["counts_two"]
