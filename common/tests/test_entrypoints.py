import gc
import sys

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
