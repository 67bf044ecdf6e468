"""The sweep that sends due emails (new ones the fast path missed, and retries).

Every web process of the service (one per replica) runs one in a daemon thread
(started by wsgi.py, so manage.py commands and tests do not), every
NOTIFICATION_SWEEP_SECONDS; taking an email leases it, so two senders never send the
same one at once.
`manage.py send_notifications` runs the same loop as a process of its own.
"""

import logging
import threading

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from notifications import services

logger = logging.getLogger(__name__)


def run(stop: threading.Event, *, every_seconds: float) -> None:
    """Send due emails until `stop` is set, surviving a database that is down or not migrated yet."""
    while not stop.is_set():
        close_old_connections()
        try:
            tried = services.notification_emails_send_due()
        except DatabaseError as exc:
            logger.warning("notification sweep: database unavailable, retrying: %s", exc)
            connection.close()
            tried = 0
        if not tried:
            stop.wait(every_seconds)
    connection.close()


def start_in_background() -> threading.Thread | None:
    """The web process's sweep thread; none when NOTIFICATION_SWEEP_SECONDS is 0."""
    every_seconds = settings.NOTIFICATION_SWEEP_SECONDS
    if every_seconds <= 0:
        return None
    thread = threading.Thread(
        target=run, args=(threading.Event(),), kwargs={"every_seconds": every_seconds}, name="notification-sweep"
    )
    thread.daemon = True
    thread.start()
    return thread
