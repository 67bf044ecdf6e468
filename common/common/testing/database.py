"""Database plumbing for tests that call a WSGI application as a server would."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.signals import request_finished, request_started
from django.db import close_old_connections


@contextmanager
def database_kept_open() -> Iterator[None]:
    """Django's request signals without their closing of old database connections, as
    Django's test client does: closing the test's connection would end its transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
