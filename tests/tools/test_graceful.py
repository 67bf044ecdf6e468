"""tools/graceful.py: waitress that stops taking connections on stop(), finishes the
requests in flight within the grace period, and closes each worker's resources."""

import contextlib
import http.client
import signal
import socket
import subprocess
import sys
import threading

import pytest

from tests.tools.graceful_app import GatedApp, wait_for
from tools.graceful import GracefulServer
from tools.stack import REPO_DIR


@contextlib.contextmanager
def serving(app, *, grace_seconds: float, threads: int = 2):
    """A GracefulServer on a free port, serve() in a thread; yields (server, result),
    where result["code"] is serve()'s return once it has returned."""
    exits = []
    server = GracefulServer(
        app,
        grace_seconds=grace_seconds,
        on_worker_exit=lambda: exits.append(threading.current_thread().name),
        listen="127.0.0.1:0",
        threads=threads,
        asyncore_use_poll=True,
    )
    result = {"exits": exits}
    thread = threading.Thread(target=lambda: result.update(code=server.serve()), daemon=True)
    thread.start()
    try:
        yield server, result, thread
    finally:
        server.stop()
        server.stop()
        app.release.set()
        thread.join(10)


def refuses_connections(address) -> bool:
    try:
        socket.create_connection(address, timeout=1).close()
    except (ConnectionRefusedError, ConnectionResetError):  # reset: it was in the backlog when the socket closed
        return True
    except TimeoutError:  # the SYN was dropped as the socket closed (CI saw it once): not an answer, look again
        return False
    return False


def get(address, path: str, connection: http.client.HTTPConnection | None = None) -> http.client.HTTPResponse:
    connection = connection or http.client.HTTPConnection(*address, timeout=30)
    connection.request("GET", path)
    return connection.getresponse()


def in_thread(call) -> tuple[threading.Thread, dict]:
    outcome = {}

    def run():
        try:
            outcome["response"] = call()
            outcome["body"] = outcome["response"].read()
        except OSError as error:
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_a_request_in_flight_finishes_while_new_connections_are_refused():
    app = GatedApp()
    with serving(app, grace_seconds=30) as (server, result, serve_thread):
        address = server.address
        client, outcome = in_thread(lambda: get(address, "/slow"))
        wait_for(app.started.is_set, what="the slow request to start")

        server.stop()
        wait_for(lambda: refuses_connections(address), what="the listening socket to close")
        assert serve_thread.is_alive()  # still draining

        app.release.set()
        client.join(10)
        assert outcome["response"].status == 200
        assert outcome["body"] == b"ok"
        assert outcome["response"].getheader("Connection") == "close"
        serve_thread.join(30)
        assert result["code"] == 0
        assert sorted(result["exits"]) == ["waitress-0", "waitress-1"]  # each worker closed its connections


def test_an_idle_kept_alive_connection_is_closed_and_nothing_is_waited_for():
    app = GatedApp()
    with serving(app, grace_seconds=30) as (server, result, serve_thread):
        connection = http.client.HTTPConnection(*server.address, timeout=30)
        first = get(server.address, "/fast", connection)
        assert (first.status, first.read()) == (200, b"ok")
        assert first.getheader("Connection") is None  # kept alive

        server.stop()
        serve_thread.join(30)  # well inside the grace period
        assert result["code"] == 0
        assert connection.sock.recv(1) == b""  # the server closed it


def test_a_request_still_running_at_the_end_of_the_grace_period_is_cut():
    app = GatedApp()
    with serving(app, grace_seconds=0.5) as (server, result, serve_thread):
        client, outcome = in_thread(lambda: get(server.address, "/slow"))
        wait_for(app.started.is_set, what="the slow request to start")

        server.stop()
        serve_thread.join(10)
        assert result["code"] == 1  # a request was cut
        client.join(10)
        assert isinstance(outcome.get("error"), (http.client.RemoteDisconnected, ConnectionError))


def test_a_second_stop_ends_the_wait_at_once():
    app = GatedApp()
    with serving(app, grace_seconds=600) as (server, result, serve_thread):
        in_thread(lambda: get(server.address, "/slow"))
        wait_for(app.started.is_set, what="the slow request to start")

        server.stop()
        wait_for(lambda: refuses_connections(server.address), what="the listening socket to close")
        server.stop()
        serve_thread.join(30)
        assert result["code"] == 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_process_once_its_request_in_flight_is_answered(sig):
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.tools.graceful_app", "20"], cwd=REPO_DIR, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip() == "starting"
        address = ("127.0.0.1", int(process.stdout.readline().split()[1]))
        client, outcome = in_thread(lambda: get(address, "/slow"))
        assert process.stdout.readline().strip() == "started"

        process.send_signal(sig)
        wait_for(lambda: refuses_connections(address), what="the listening socket to close")
        assert process.poll() is None  # still draining

        process.send_signal(signal.SIGUSR1)  # the slow request may finish now
        client.join(10)
        assert (outcome["response"].status, outcome["body"]) == (200, b"ok")
        assert process.wait(timeout=20) == 0  # within the grace period
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_still_starting_ends_the_process_with_exit_code_0(sig):
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.tools.graceful_app", "20", "600"], cwd=REPO_DIR, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip() == "starting"
        process.send_signal(sig)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
