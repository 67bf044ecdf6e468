"""tools/granian_worker.py: granian's Rust WSGI worker driven in one process, with an
environ free of the process's environment, a body read whole before the application runs
(a 413 over the limit, a 400 if cut short, a 411 if chunked), a 431 for headers over the
limit, and a graceful stop on SIGTERM. Each test starts a real server (tests/tools/granian_app.py) in a process of its
own, as tools/serve.py runs the gateway, and talks to it through sockets."""

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from common.registry import SERVICES
from tests.e2e.harness import free_ports
from tests.tools.graceful_app import wait_for
from tests.tools.granian_app import parts
from tests.tools.test_graceful import refuses_connections
from tests.tools.test_lean_waitress import CLIENT_TIMEOUT, Reader, get, keep_alive_clients
from tools.graceful import GracefulServer
from tools.granian_worker import GranianServer
from tools.serve import SHUTDOWN_GRACE_SECONDS, server_for
from tools.stack import REPO_DIR

MAX_BODY_BYTES = 1000
SECRET = {"SECRET_TEST_VALUE": "xyz"}  # in the server's process environment, never in a request's environ
PARTS = b"".join(parts(50))  # the body of /list, /django, /streaming and /generator


@dataclass
class Served:
    process: subprocess.Popen
    address: tuple[str, int]
    stderr: Path
    lines: list[str] = field(default_factory=list)  # what the server printed: `started` per /slow request

    def seen(self) -> dict:
        """The paths the application was called for so far, and those whose response it closed."""
        connection = http.client.HTTPConnection(*self.address, timeout=CLIENT_TIMEOUT)
        try:
            connection.request("GET", "/seen")
            return json.loads(connection.getresponse().read())
        finally:
            connection.close()

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def exit_code(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {timeout} s on: {self.stderr.read_text()}") from None


def accepts_connections(served: Served) -> bool:
    assert served.process.poll() is None, served.stderr.read_text()  # died starting (its port taken?)
    try:
        socket.create_connection(served.address, timeout=1).close()
    except OSError:
        return False
    return True


@contextlib.contextmanager
def granian_process(tmp_path: Path, *, grace_seconds: float = 30):
    """GranianServer (8 threads, bodies up to MAX_BODY_BYTES) serving granian_app's App on
    a free port in a process of its own, SECRET in its environment; killed afterwards if
    a test left it running."""
    port = free_ports(1)[0]
    stderr = tmp_path / f"granian-{port}.stderr"
    with stderr.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.tools.granian_app", str(port), str(grace_seconds), str(MAX_BODY_BYTES)],
            cwd=REPO_DIR,
            env=os.environ | SECRET,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    served = Served(process, ("127.0.0.1", port), stderr)

    def read_lines():
        for line in process.stdout:
            served.lines.append(line)

    reader = threading.Thread(target=read_lines, daemon=True)
    reader.start()
    try:
        wait_for(lambda: accepts_connections(served), what="the server to listen")
        yield served
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        reader.join(10)
        process.stdout.close()


@pytest.fixture
def served(tmp_path):
    with granian_process(tmp_path) as served:
        yield served


def request(address, method: str, path: str, body=None, headers=None, **options) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection(*address, timeout=CLIENT_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {}, **options)
        response = connection.getresponse()
        return response.status, {name.lower(): value for name, value in response.getheaders()}, response.read()
    finally:
        connection.close()


def raw_status(address, data: bytes) -> int:
    """The status of the answer to `data`, sent at once (the server may close before reading it all)."""
    with socket.create_connection(address, timeout=CLIENT_TIMEOUT) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        head, _, _ = Reader(sock).response("GET")
    return int(head.split(b" ", 2)[1])


def in_thread(call) -> tuple[threading.Thread, dict]:
    outcome = {}

    def run():
        try:
            outcome["answer"] = call()
        except (OSError, http.client.HTTPException) as error:
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def start_slow_request(served: Served) -> tuple[threading.Thread, dict]:
    """A /slow request in flight: the application holds it until SIGUSR1."""
    client, outcome = in_thread(lambda: request(served.address, "GET", "/slow"))
    wait_for(lambda: "started\n" in served.lines, what="the slow request to start")
    return client, outcome


def test_the_environ_holds_the_request_and_nothing_of_the_process_environment(served):
    status, _, body = request(served.address, "GET", "/environ?q=a%20b&x=%2F", headers={"X-Custom": "yes"})
    environ = json.loads(body)

    assert status == 200
    assert "SECRET_TEST_VALUE" not in environ
    assert set(environ).isdisjoint(os.environ | SECRET), set(environ) & set(os.environ)  # PATH, HOME, ...
    assert environ["REQUEST_METHOD"] == "GET"
    assert environ["PATH_INFO"] == "/environ"
    assert environ["QUERY_STRING"] == "q=a%20b&x=%2F"  # as sent
    assert environ["SCRIPT_NAME"] == ""
    assert environ["SERVER_PORT"] == str(served.address[1])
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
    assert environ["HTTP_HOST"] == f"127.0.0.1:{served.address[1]}"
    assert environ["HTTP_X_CUSTOM"] == "yes"
    assert environ["wsgi.url_scheme"] == "http"
    assert environ["wsgi.version"] == "tuple"  # type names for what is not a string
    assert "wsgi.input" in environ
    assert "wsgi.errors" in environ


def test_a_body_s_type_and_length_are_in_the_environ(served):
    status, _, body = request(
        served.address, "POST", "/environ", body=b'{"a": 1}', headers={"Content-Type": "application/json"}
    )
    environ = json.loads(body)

    assert status == 200
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["CONTENT_LENGTH"] == "8"
    assert "HTTP_CONTENT_TYPE" not in environ


def test_a_body_up_to_the_limit_reaches_the_application(served):
    body = bytes(range(200)) * 5  # MAX_BODY_BYTES

    status, headers, answer = request(served.address, "POST", "/body", body=body)

    assert status == 200
    assert answer == body
    assert headers["x-content-length"] == str(MAX_BODY_BYTES)


def assert_payload_too_large(status: int, headers: dict, body: bytes) -> None:
    assert status == 413
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert json.loads(body)["error"]["code"] == "payload_too_large"


def test_a_body_declared_over_the_limit_is_a_413_and_the_application_is_not_called(served):
    assert_payload_too_large(*request(served.address, "POST", "/body", body=b"x" * (MAX_BODY_BYTES + 1)))
    assert served.seen()["paths"] == []


def chunks(body: bytes, size: int = 64):
    return (body[start : start + size] for start in range(0, len(body), size))


@pytest.mark.parametrize("size", [771, MAX_BODY_BYTES + 1])
def test_a_chunked_body_is_a_411_and_the_application_is_not_called(served, size):
    status, headers, body = request(
        served.address,
        "POST",
        "/body",
        body=chunks(b"y" * size),
        headers={"Transfer-Encoding": "chunked"},
        encode_chunked=True,
    )

    assert status == 411
    assert headers["connection"] == "close"
    assert json.loads(body)["error"]["code"] == "length_required"
    assert served.seen()["paths"] == []


def test_a_body_shorter_than_its_content_length_is_a_400_and_the_application_is_not_called(served):
    with socket.create_connection(served.address, timeout=CLIENT_TIMEOUT) as client:
        client.sendall(b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
        client.shutdown(socket.SHUT_WR)  # the client stops after 5 of its 10 bytes
        head, body, _ = Reader(client).response("POST")

    assert head.startswith(b"HTTP/1.1 400 "), head
    assert json.loads(body)["error"]["code"] == "bad_request"
    assert served.seen()["paths"] == []


@pytest.mark.parametrize("length", ["abc", "-5", "5, 6", "0x5"])
def test_a_content_length_that_is_not_a_number_is_a_400_from_granian(served, length):
    head = f"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\nhello"
    assert raw_status(served.address, head.encode()) == 400
    assert served.seen()["paths"] == []


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([f"X-Big: {'a' * 200_000}"], id="one-header-of-200-kb"),
        pytest.param([f"X-Big-{n}: {'a' * 8000}" for n in range(25)], id="25-headers-of-8000-bytes"),
        pytest.param([f"X-Many-{n}: v" for n in range(100)], id="101-headers-with-host"),
    ],
)
def test_headers_over_the_limits_are_a_431_and_the_application_is_not_called(served, headers):
    assert raw_status(served.address, get("/environ", "1.1", *headers)) == 431
    assert served.seen()["paths"] == []


def test_a_hundred_small_headers_are_served(served):
    headers = [f"X-Many-{n}: v" for n in range(99)]  # and Host

    assert raw_status(served.address, get("/environ", "1.1", *headers)) == 200


@pytest.mark.parametrize(
    ("path", "framing"),
    [
        ("/list", "content-length"),
        ("/django", "content-length"),  # its content in one write, as for a list
        ("/streaming", "transfer-encoding"),
        ("/generator", "transfer-encoding"),
    ],
)
def test_each_kind_of_response_arrives_complete(served, path, framing):
    status, headers, body = request(served.address, "GET", path)

    assert status == 200
    assert body == PARTS
    assert headers[framing] == {"content-length": str(len(PARTS)), "transfer-encoding": "chunked"}[framing]


def test_a_django_response_is_closed_streaming_or_not(served):
    for path in ("/django", "/streaming"):
        assert request(served.address, "GET", path)[2] == PARTS

    assert sorted(served.seen()["closed"]) == ["/django", "/streaming"]


def test_fifty_requests_on_one_kept_alive_connection_are_all_answered(served):
    paths = ["/list", "/django", "/streaming", "/generator", "/echo/kept"]
    connection = http.client.HTTPConnection(*served.address, timeout=CLIENT_TIMEOUT)
    sockets = []  # the socket each request went out on
    try:
        for number in range(50):
            path = paths[number % len(paths)]
            connection.request("GET", path)
            sockets.append(connection.sock)
            response = connection.getresponse()
            assert (response.status, response.read()) == (200, b"/echo/kept" * 3 if path == "/echo/kept" else PARTS)
    finally:
        connection.close()
    assert all(sock is sockets[0] for sock in sockets)  # kept alive: one connection for all 50


def test_no_request_is_lost_under_concurrency(served):
    answers = keep_alive_clients(served.address, clients=16, requests_each=20)  # against 8 server threads

    assert len(answers) == 16 * 20
    for status, body, path, _ in answers:
        assert (status, body) == (200, path.encode() * 3)


def test_an_application_exception_is_a_500_and_the_server_goes_on_serving(served):
    connection = http.client.HTTPConnection(*served.address, timeout=CLIENT_TIMEOUT)
    try:
        connection.request("GET", "/raise")
        failed = connection.getresponse()
        assert (failed.status, failed.read()) == (500, b"")

        connection.request("GET", "/echo/after")  # on the same connection
        after = connection.getresponse()
        assert (after.status, after.read()) == (200, b"/echo/after" * 3)
    finally:
        connection.close()
    status, _, body = request(served.address, "GET", "/echo/new")  # on a new one
    assert (status, body) == (200, b"/echo/new" * 3)
    assert served.seen()["paths"] == ["/raise", "/echo/after", "/echo/new"]


def test_sigterm_finishes_the_request_in_flight_refuses_new_connections_and_exits_0(tmp_path):
    with granian_process(tmp_path, grace_seconds=30) as served:
        idle = http.client.HTTPConnection(*served.address, timeout=CLIENT_TIMEOUT)
        idle.request("GET", "/echo/idle")
        assert idle.getresponse().read() == b"/echo/idle" * 3
        client, outcome = start_slow_request(served)

        served.signal(signal.SIGTERM)
        wait_for(lambda: refuses_connections(served.address), what="the listening socket to close")
        assert idle.sock.recv(1) == b""  # the idle kept-alive connection, closed by the server
        idle.close()
        assert served.process.poll() is None  # still waiting for the slow request

        served.signal(signal.SIGUSR1)  # the slow request may finish
        client.join(CLIENT_TIMEOUT)
        assert "error" not in outcome, outcome
        status, headers, body = outcome["answer"]
        assert (status, body) == (200, b"slow and done")
        assert headers["connection"] == "close"
        assert served.exit_code(CLIENT_TIMEOUT) == 0


def test_sigint_with_nothing_in_flight_exits_0(tmp_path):
    with granian_process(tmp_path, grace_seconds=30) as served:
        assert request(served.address, "GET", "/echo/one")[0] == 200

        served.signal(signal.SIGINT)

        assert served.exit_code(CLIENT_TIMEOUT) == 0


def test_a_request_still_running_at_the_grace_deadline_is_cut_and_the_exit_code_is_1(tmp_path):
    with granian_process(tmp_path, grace_seconds=1) as served:
        client, outcome = start_slow_request(served)  # held for 60 s: never released

        served.signal(signal.SIGTERM)

        assert served.exit_code(15) == 1
        client.join(CLIENT_TIMEOUT)
        assert isinstance(outcome.get("error"), (http.client.RemoteDisconnected, ConnectionError)), outcome


def test_a_second_sigterm_ends_the_wait_for_the_request_in_flight_with_exit_code_1(tmp_path):
    with granian_process(tmp_path, grace_seconds=120) as served:
        client, outcome = start_slow_request(served)
        served.signal(signal.SIGTERM)
        wait_for(lambda: refuses_connections(served.address), what="the first SIGTERM to be handled")

        served.signal(signal.SIGTERM)

        assert served.exit_code(15) == 1  # long before the grace period's 120 s or the request's 60 s
        client.join(CLIENT_TIMEOUT)
        assert isinstance(outcome.get("error"), (http.client.RemoteDisconnected, ConnectionError)), outcome


def application(environ, start_response):
    start_response("200 OK", [])
    return []


class Connections:
    """django.db.connections, for a server made outside a Django project: counts close_all()."""

    def __init__(self):
        self.closed = 0

    def close_all(self):
        self.closed += 1


def test_server_for_serves_the_gateway_with_granian_and_the_others_with_waitress(monkeypatch):
    for name in ("SHUTDOWN_GRACE_SECONDS", "WEB_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GATEWAY_PORT", "18001")
    monkeypatch.setenv("BOOK_SERVICE_PORT", "0")  # waitress listens as it is made: on a free port
    connections = Connections()
    monkeypatch.setattr("tools.serve.connections", connections)

    gateway = server_for(SERVICES["gateway"], application)
    book = server_for(SERVICES["book"], application)
    try:
        assert isinstance(gateway, GranianServer)  # made, not listening: serve() would listen
        assert (gateway.port, gateway.threads, gateway.grace_seconds) == (18001, 8, SHUTDOWN_GRACE_SECONDS)
        assert isinstance(book, GracefulServer)
    finally:
        book.stop()
        assert book.serve() == 0
    assert connections.closed == 8  # by each of waitress's threads as it ended


def test_a_service_served_by_waitress_does_not_load_granian():
    """granian's Rust library, once loaded, is resident memory in the process."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, tools.serve; print(sorted(m for m in sys.modules if 'granian' in m))"],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
