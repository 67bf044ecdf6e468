"""Work done right after a commit, off the request thread (the outbox's and the
notification emails' fast paths).

A small pool of long-lived threads per process rather than a thread per task: each
thread borrows a connection from the process's pool for a task (PostgreSQL) or keeps
its own between tasks (SQLite, `DB_CONN_MAX_AGE`), where a thread per task opened and
closed one every time. What fails is only logged: the
callers' sweepers (the outbox dispatcher, the email sweep) try it again.
"""

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import close_old_connections

from common.settings import env_int

logger = logging.getLogger(__name__)

_pool = ThreadPoolExecutor(max_workers=env_int("BACKGROUND_THREADS", 2), thread_name_prefix="background")


def run_in_background(task: Callable[[], object], *, what: str) -> Future[None]:
    """Run `task` on the pool, with the caller's request id (its context) and a
    healthy database connection."""

    def run() -> None:
        close_old_connections()  # drops a connection past its age or broken since the last task
        try:
            task()
        except Exception:  # someone retries it later; a pool thread must not die loudly
            logger.warning("%s failed; it will be tried again later", what, exc_info=True)
        finally:
            close_old_connections()

    return _pool.submit(contextvars.copy_context().run, run)
