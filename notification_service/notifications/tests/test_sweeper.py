"""The sweep loop every web process runs: it keeps going through database failures and stops when told."""

import threading
from types import SimpleNamespace

from django.db import OperationalError

from notifications import services, sweeper


def test_the_sweep_survives_a_database_that_is_down_and_stops_when_told(monkeypatch):
    stop = threading.Event()
    rounds = []

    def send_due():
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise OperationalError("the server is down")
        if len(rounds) == 3:
            stop.set()
        return 0

    monkeypatch.setattr(services, "notification_emails_send_due", send_due)
    closed = []
    # The loop's own connection handling, without a database in this test.
    monkeypatch.setattr(sweeper, "close_old_connections", lambda: None)
    monkeypatch.setattr(sweeper, "connection", SimpleNamespace(close=lambda: closed.append(True)))

    sweeper.run(stop, every_seconds=0.01)

    assert rounds == [0, 1, 2]
    assert len(closed) == 2  # after the failure, and when stopping


def test_no_sweep_thread_when_it_is_switched_off(settings):
    settings.NOTIFICATION_SWEEP_SECONDS = 0

    assert sweeper.start_in_background() is None
