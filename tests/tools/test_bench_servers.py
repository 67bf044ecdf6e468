"""bench.servers: the medians over rounds; bench.inprocess_server: each server it runs
answers, and stops on SIGTERM (granian's run through internals of the pinned version)."""

import signal
import subprocess
import sys
import urllib.request

import pytest

pytest.importorskip("psutil", reason="make bench installs requirements-bench.txt")

from bench.servers import HELLO, medians
from tests.e2e.harness import free_ports
from tests.tools.graceful_app import wait_for
from tests.tools.test_graceful import refuses_connections
from tools.stack import REPO_DIR


def test_medians_take_each_number_s_median_over_the_rounds():
    rounds = [
        {"hello": {"1": 0.2}, "book_service": {"processes": 1, "rss_mb": 70.0}},
        {"hello": {"1": 0.1}, "book_service": {"processes": 1, "rss_mb": 90.0}},
        {"hello": {"1": 0.9}, "book_service": {"processes": 1, "rss_mb": 80.0}},
    ]
    assert medians(rounds) == {"hello": {"1": 0.2}, "book_service": {"processes": 1, "rss_mb": 80.0}}


def answers(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=1).read() == b"ok"  # noqa: S310 (our own URL)
    except OSError:
        return False


@pytest.mark.parametrize("server", ["waitress", "granian"])
def test_the_in_process_server_answers_and_stops_on_sigterm(server, tmp_path):
    if server == "granian":
        pytest.importorskip("granian", reason="make bench installs requirements-bench.txt")
    (tmp_path / "hello.py").write_text(HELLO)
    (port,) = free_ports(1)
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.inprocess_server", server, str(port), "hello:application"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO_DIR), "PATH": "/usr/bin:/bin"},
    )
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/"), what=f"{server} to answer")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert refuses_connections(("127.0.0.1", port))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
