"""run_in_background: tasks after a commit on a small pool of long-lived threads."""

import logging
import threading

import pytest

from common.background import run_in_background
from common.request_id import current_request_id

pytestmark = pytest.mark.django_db  # a task starts and ends by tidying its database connection


def test_a_task_runs_on_a_pool_thread_with_the_callers_request_id():
    seen = {}

    def task():
        seen["thread"] = threading.current_thread().name
        seen["request_id"] = current_request_id.get()

    token = current_request_id.set("req-77")
    try:
        run_in_background(task, what="a test task").result(timeout=10)
    finally:
        current_request_id.reset(token)
    assert seen["thread"].startswith("background")
    assert seen["request_id"] == "req-77"


def test_the_same_few_threads_serve_many_tasks():
    threads = set()
    for _ in range(20):
        run_in_background(lambda: threads.add(threading.current_thread().ident), what="t").result(timeout=10)
    assert 1 <= len(threads) <= 2  # the pool's size, not one thread (and connection) per task


def test_a_failing_task_is_logged_not_raised(caplog):
    def fail():
        raise RuntimeError("boom")

    with caplog.at_level(logging.WARNING, logger="common.background"):
        run_in_background(fail, what="the doomed task").result(timeout=10)
    assert "the doomed task failed" in caplog.text
