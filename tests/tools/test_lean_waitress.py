"""tools/lean_waitress.py: waitress's server, channel, task and trigger with fewer system
calls per request. The bytes on the wire are stock waitress's; a small response is one
send(); the trigger is written to only when no wake-up is pending, and no request waits
for one that was skipped."""

import contextlib
import fcntl
import http.client
import os
import re
import socket
import struct
import termios
import threading

import pytest
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import create_server

from tools.graceful import GracefulServer
from tools.lean_waitress import LeanChannel, LeanTrigger

SMALL = bytes(range(32, 132))  # 100 bytes
BIG = bytes(range(256)) * 4096  # 1 MiB
FILE_BODY = b"0123456789abcdef" * 5000  # 80000 bytes, more than one send() of waitress's

# A lost wake-up of the poll loop would otherwise be hidden by the loop's own timeout
# (1 s by default): with this one it leaves the request waiting, and the client's
# socket timeout fails the test.
NO_POLL_TIMEOUT = 3600
CLIENT_TIMEOUT = 30


class App:
    """One WSGI application, a response shape per path."""

    def __init__(self, file_path):
        self.file_path = file_path

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        if path.startswith("/echo/"):
            body = path.encode() * (1 + len(path) % 7)
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        route = getattr(self, "route_" + path.strip("/").replace("-", "_"), None)
        if route is None:
            start_response("404 Not Found", [("Content-Length", "0")])
            return []
        return route(environ, start_response)

    def route_small(self, environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(SMALL)))])
        return [SMALL]

    def route_no_content(self, environ, start_response):
        start_response("204 No Content", [("X-Case", "204")])
        return []

    def route_no_content_with_body(self, environ, start_response):
        start_response("204 No Content", [])
        return [b"ignored: a 204 has no body"]

    def route_empty(self, environ, start_response):
        start_response("200 OK", [("Content-Length", "0")])
        return []

    def route_chunks(self, environ, start_response):
        start_response("200 OK", [("Content-Length", "6")])
        return [b"ab", b"cd", b"ef"]

    def route_first_empty(self, environ, start_response):
        def body():
            yield b""
            yield b"hello"
            yield b""
            yield b" world"

        start_response("200 OK", [("Content-Length", "11")])
        return body()

    def route_first_empty_no_length(self, environ, start_response):
        def body():
            yield b""
            yield b"hello"
            yield b" world"

        start_response("200 OK", [("Content-Type", "text/plain")])
        return body()

    def route_chunked(self, environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"one", b"two", b"three" * 1000])

    def route_file(self, environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](open(self.file_path, "rb"))  # the server closes it

    def route_file_with_length(self, environ, start_response):
        start_response("200 OK", [("Content-Length", str(len(FILE_BODY)))])
        return environ["wsgi.file_wrapper"](open(self.file_path, "rb"), 4096)

    def route_big(self, environ, start_response):
        start_response("200 OK", [("Content-Length", str(len(BIG)))])
        return [BIG]

    def route_raise(self, environ, start_response):
        start_response("200 OK", [("Content-Length", "2")])
        raise RuntimeError("the application failed before writing")

    def route_raise_after_write(self, environ, start_response):
        def body():
            yield b"partial"
            raise RuntimeError("the application failed after writing")

        start_response("200 OK", [("Content-Type", "text/plain")])
        return body()

    def route_write(self, environ, start_response):
        write = start_response("200 OK", [("Content-Length", "10")])
        write(b"01234")
        write(b"56789")
        return []

    def route_too_short(self, environ, start_response):
        start_response("200 OK", [("Content-Length", "10")])
        return [b"12345"]

    def route_too_long(self, environ, start_response):
        start_response("200 OK", [("Content-Length", "3")])
        return [b"123456"]

    def route_bytearray(self, environ, start_response):
        start_response("200 OK", [("Content-Length", "9")])
        return [bytearray(b"bytearray")]

    def route_no_start_response(self, environ, start_response):
        return []  # waitress answers 500: start_response was not called

    def route_hop_by_hop(self, environ, start_response):
        start_response("200 OK", [("Connection", "keep-alive")])  # an AssertionError in start_response: 500
        return [b"never sent"]

    def route_post(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("201 Created", [("Content-Length", str(len(body)))])
        return [body]


@contextlib.contextmanager
def stock_waitress(app, **adjustments):
    """Stock waitress (its own server, channel, task and trigger) on a free port, run in a
    thread; yields its address."""
    server = create_server(app, host="127.0.0.1", port=0, threads=2, asyncore_use_poll=True, **adjustments)
    assert type(server.trigger).__name__ == "trigger"  # waitress's own, not LeanTrigger
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", int(server.effective_port)
    finally:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))  # the loop ends with its map empty
        thread.join(10)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive()


@contextlib.contextmanager
def graceful_waitress(app, *, threads=2, **adjustments):
    """A GracefulServer (LeanServer's classes) on a free port, serve() in a thread, as in
    test_graceful.py; yields its address."""
    server = GracefulServer(
        app,
        grace_seconds=10,
        listen="127.0.0.1:0",
        threads=threads,
        asyncore_use_poll=True,
        asyncore_loop_timeout=NO_POLL_TIMEOUT,
        **adjustments,
    )
    assert isinstance(server.server.trigger, LeanTrigger)
    result = {}
    thread = threading.Thread(target=lambda: result.update(code=server.serve()), daemon=True)
    thread.start()
    try:
        yield server.address
    finally:
        server.stop()
        thread.join(20)
        assert not thread.is_alive()
        assert result["code"] == 0


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    file_path = tmp_path_factory.mktemp("lean_waitress") / "body.bin"
    file_path.write_bytes(FILE_BODY)
    return App(file_path)


@pytest.fixture(scope="module")
def stock_address(app):
    with stock_waitress(app) as address:
        yield address


@pytest.fixture(scope="module")
def lean_address(app):
    with graceful_waitress(app) as address:
        yield address


class Reader:
    """Reads raw HTTP responses off a socket by their framing, keeping every byte."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""
        self.eof = False

    def _fill(self) -> bool:
        if self.eof:
            return False
        data = self.sock.recv(65536)
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    def _take(self, count: int) -> bytes:
        while len(self.buffer) < count and self._fill():
            pass
        taken, self.buffer = self.buffer[:count], self.buffer[count:]
        return taken

    def _take_line(self) -> bytes:
        while b"\r\n" not in self.buffer and self._fill():
            pass
        end = self.buffer.find(b"\r\n")
        end = len(self.buffer) if end < 0 else end + 2
        return self._take(end)

    def response(self, method: str) -> tuple[bytes, bytes, dict[str, str]]:
        """(head, body, headers) of the next response; the body ends early if the server closes."""
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                raise AssertionError(f"the connection closed inside a response's head: {self.buffer!r}")
        head = self._take(self.buffer.index(b"\r\n\r\n") + 4)
        status = int(head.split(b" ", 2)[1])
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            if line:
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size_line = self._take_line()
                body += size_line
                if not size_line.endswith(b"\r\n"):
                    break  # cut short
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    body += self._take_line()  # the empty trailer
                    break
                body += self._take(size + 2)
        elif "content-length" in headers:
            body = self._take(int(headers["content-length"]))
        else:
            while self._fill():
                pass
            body, self.buffer = self.buffer, b""
        return head, body, headers

    def rest(self) -> bytes:
        """Everything up to the end of the connection."""
        while self._fill():
            pass
        rest, self.buffer = self.buffer, b""
        return rest


def closes_after(headers: dict[str, str], request: bytes) -> bool:
    """Whether the server must close the connection after this response."""
    if headers.get("connection", "").lower() == "close":
        return True
    return request.split(b"\r\n", 1)[0].endswith(b"HTTP/1.0") and headers.get("connection", "").lower() != "keep-alive"


def exchange(address, request: bytes, methods: list[str]) -> dict:
    """Sends `request` in one send(), reads one response per method, then the rest of the
    connection: on its own if the last response closes it, else after our half-close."""
    with socket.create_connection(address, timeout=CLIENT_TIMEOUT) as sock:
        sock.sendall(request)
        reader = Reader(sock)
        responses = [reader.response(method) for method in methods]
        closed_by_server = closes_after(responses[-1][2], request)
        if not closed_by_server:
            sock.shutdown(socket.SHUT_WR)
        rest = reader.rest()  # with closed_by_server, a server that does not close fails on the timeout
    return {"responses": [(head, body) for head, body, _ in responses], "rest": rest, "closed": closed_by_server}


DATE_LINE = re.compile(rb"\r\nDate: [^\r\n]*")


def without_date(outcome: dict) -> dict:
    responses = []
    for head, body in outcome["responses"]:
        assert len(DATE_LINE.findall(head)) == 1, head
        assert b"\r\nServer: waitress\r\n" in head, head
        responses.append((DATE_LINE.sub(b"", head), body))
    return {**outcome, "responses": responses}


def get(path: str, version: str = "1.1", *headers: str, method: str = "GET") -> bytes:
    lines = [f"{method} {path} HTTP/{version}", "Host: localhost", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


WIRE_CASES = [
    ("small-content-length", get("/small"), ["GET"], [200]),
    ("204-no-body", get("/no-content"), ["GET"], [204]),
    ("204-app-body-ignored", get("/no-content-with-body"), ["GET"], [204]),
    ("200-content-length-0", get("/empty"), ["GET"], [200]),
    ("several-chunks-from-a-list", get("/chunks"), ["GET"], [200]),
    ("generator-first-chunk-empty", get("/first-empty"), ["GET"], [200]),
    ("generator-first-chunk-empty-chunked", get("/first-empty-no-length"), ["GET"], [200]),
    ("no-content-length-chunked", get("/chunked"), ["GET"], [200]),
    ("head", get("/small", method="HEAD"), ["HEAD"], [200]),
    ("head-chunked", get("/chunked", method="HEAD"), ["HEAD"], [200]),
    ("file-wrapper", get("/file"), ["GET"], [200]),
    ("file-wrapper-with-length", get("/file-with-length"), ["GET"], [200]),
    ("one-mebibyte", get("/big"), ["GET"], [200]),
    ("raises-before-writing-500", get("/raise"), ["GET"], [500]),
    ("raises-after-writing", get("/raise-after-write"), ["GET"], [200]),
    ("no-start-response-500", get("/no-start-response"), ["GET"], [500]),
    ("hop-by-hop-header-500", get("/hop-by-hop"), ["GET"], [500]),
    ("write-callable", get("/write"), ["GET"], [200]),
    ("fewer-bytes-than-content-length", get("/too-short"), ["GET"], [200]),
    ("more-bytes-than-content-length", get("/too-long"), ["GET"], [200]),
    ("bytearray-chunk", get("/bytearray"), ["GET"], [200]),
    ("post-with-body", get("/post", "1.1", "Content-Length: 5", method="POST") + b"hello", ["POST"], [201]),
    ("not-found", get("/nowhere"), ["GET"], [404]),
    ("bad-request-400", get("/small", "1.1", "Content-Length: nope"), ["GET"], [400]),
    ("keep-alive-two-pipelined", get("/small") + get("/chunks"), ["GET", "GET"], [200, 200]),
    (
        "keep-alive-three-pipelined-mixed",
        get("/first-empty") + get("/empty") + get("/file-with-length") + get("/no-content"),
        ["GET", "GET", "GET", "GET"],
        [200, 200, 200, 204],  # waitress closes after a 204 without Content-Length
    ),
    ("pipelined-then-close", get("/small") + get("/small", "1.1", "Connection: close"), ["GET", "GET"], [200, 200]),
    ("http-1.0", get("/small", "1.0"), ["GET"], [200]),
    ("http-1.0-keep-alive", get("/small", "1.0", "Connection: keep-alive"), ["GET"], [200]),
    (
        "http-1.0-keep-alive-twice",
        get("/small", "1.0", "Connection: keep-alive") + get("/chunks", "1.0", "Connection: keep-alive"),
        ["GET", "GET"],
        [200, 200],
    ),
    ("http-1.0-keep-alive-no-length", get("/chunked", "1.0", "Connection: keep-alive"), ["GET"], [200]),
]


@pytest.mark.parametrize(
    ("request_bytes", "methods", "statuses"),
    [pytest.param(*case[1:], id=case[0]) for case in WIRE_CASES],
)
def test_the_bytes_on_the_wire_are_stock_waitresss(stock_address, lean_address, request_bytes, methods, statuses):
    stock = without_date(exchange(stock_address, request_bytes, methods))
    lean = without_date(exchange(lean_address, request_bytes, methods))

    assert [int(head.split(b" ", 2)[1]) for head, _ in stock["responses"]] == statuses
    assert lean["responses"] == stock["responses"]
    assert lean["rest"] == stock["rest"]
    assert lean["closed"] == stock["closed"]


def test_the_cases_show_what_they_are_meant_to(stock_address):
    """The table above covers what it names (under stock waitress, which lean is compared with)."""
    chunked = exchange(stock_address, get("/chunked"), ["GET"])
    assert b"\r\nTransfer-Encoding: chunked\r\n" in chunked["responses"][0][0]
    assert chunked["responses"][0][1].endswith(b"0\r\n\r\n")

    file = exchange(stock_address, get("/file"), ["GET"])
    assert file["responses"][0][1] == FILE_BODY

    big = exchange(stock_address, get("/big"), ["GET"])
    assert big["responses"][0][1] == BIG

    first_empty = exchange(stock_address, get("/first-empty"), ["GET"])
    assert first_empty["responses"][0][1] == b"hello world"

    failed = exchange(stock_address, get("/raise"), ["GET"])
    assert failed["responses"][0][0].startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert failed["closed"]

    pipelined = exchange(stock_address, get("/small") + get("/chunks"), ["GET", "GET"])
    assert [body for _, body in pipelined["responses"]] == [SMALL, b"abcdef"]
    assert not pipelined["closed"]

    head = exchange(stock_address, get("/small", method="HEAD"), ["HEAD"])
    assert b"\r\nContent-Length: 100\r\n" in head["responses"][0][0]
    assert head["rest"] == SMALL  # waitress 3.0.2 sends what the application returns for HEAD too

    http10 = exchange(stock_address, get("/small", "1.0"), ["GET"])
    assert http10["closed"]
    http10_kept = exchange(stock_address, get("/small", "1.0", "Connection: keep-alive"), ["GET"])
    assert not http10_kept["closed"]
    assert b"\r\nConnection: Keep-Alive\r\n" in http10_kept["responses"][0][0]


@pytest.fixture
def sends(monkeypatch):
    """Every send() of an HTTP channel (stock or lean): (class, client address, bytes),
    recorded before the bytes go out, so a client that has read them finds them here."""
    calls = []
    original = HTTPChannel.send

    def send(self, data, do_close=True):
        calls.append((type(self), self.addr, bytes(data)))
        return original(self, data, do_close=do_close)

    monkeypatch.setattr(HTTPChannel, "send", send)
    return calls


def sends_for_one_get(address, sends) -> tuple[list, bytes]:
    with socket.create_connection(address, timeout=CLIENT_TIMEOUT) as sock:
        sock.sendall(get("/small"))
        head, body, _ = Reader(sock).response("GET")
        client = sock.getsockname()
    assert body == SMALL
    return [(cls, data) for cls, addr, data in sends if tuple(addr[:2]) == tuple(client[:2])], head + body


def test_a_small_response_is_one_send_under_graceful_server(lean_address, sends):
    mine, response = sends_for_one_get(lean_address, sends)
    assert len(mine) == 1, mine
    cls, data = mine[0]
    assert issubclass(cls, LeanChannel)
    assert data == response  # the header and the body together


def test_a_small_response_is_two_sends_under_stock_waitress(stock_address, sends):
    mine, response = sends_for_one_get(stock_address, sends)
    assert len(mine) == 2, mine
    assert all(cls is HTTPChannel for cls, _ in mine)
    assert mine[1][1] == SMALL  # the body after the header
    assert mine[0][1] + mine[1][1] == response


def test_a_file_wrapper_goes_after_the_header_in_order_under_graceful_server(lean_address, sends):
    with socket.create_connection(lean_address, timeout=CLIENT_TIMEOUT) as sock:
        sock.sendall(get("/file"))
        head, body, _ = Reader(sock).response("GET")
        client = sock.getsockname()
    assert body == FILE_BODY
    mine = b"".join(data for _, addr, data in sends if tuple(addr[:2]) == tuple(client[:2]))
    assert mine == head + body


def bytes_waiting(fd: int) -> int:
    """Bytes in a pipe, without reading them."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


@pytest.fixture
def lean_trigger():
    socket_map: dict = {}
    trigger = LeanTrigger(socket_map)
    assert socket_map == {trigger._fileno: trigger}
    try:
        yield trigger
    finally:
        trigger.close()
    assert socket_map == {}


def read_fd(trigger) -> int:
    return trigger._fds[0]


def test_two_pulls_write_one_byte_until_the_loop_has_read_it(lean_trigger):
    assert not lean_trigger.pending
    lean_trigger.pull_trigger()
    lean_trigger.pull_trigger()
    assert lean_trigger.pending
    assert bytes_waiting(read_fd(lean_trigger)) == 1
    assert os.read(read_fd(lean_trigger), 100) == b"x"
    with pytest.raises(BlockingIOError):
        os.read(read_fd(lean_trigger), 100)

    lean_trigger.pull_trigger()  # the loop has not run handle_read yet: still pending
    assert bytes_waiting(read_fd(lean_trigger)) == 0

    lean_trigger.handle_read()  # nothing left to read (an OSError waitress ignores)
    assert not lean_trigger.pending
    lean_trigger.pull_trigger()
    assert lean_trigger.pending
    assert os.read(read_fd(lean_trigger), 100) == b"x"


def test_handle_read_reads_the_byte_and_the_next_pull_writes_again(lean_trigger):
    lean_trigger.pull_trigger()
    lean_trigger.pull_trigger()
    lean_trigger.pull_trigger()
    assert bytes_waiting(read_fd(lean_trigger)) == 1

    lean_trigger.handle_read()  # as the poll loop calls it: reads the byte
    assert not lean_trigger.pending
    assert bytes_waiting(read_fd(lean_trigger)) == 0

    lean_trigger.pull_trigger()
    assert lean_trigger.pending
    assert bytes_waiting(read_fd(lean_trigger)) == 1
    lean_trigger.handle_read()
    assert bytes_waiting(read_fd(lean_trigger)) == 0
    assert not lean_trigger.pending


def test_a_pull_with_a_thunk_always_writes_and_the_thunk_runs_in_handle_read(lean_trigger):
    ran = []
    lean_trigger.pull_trigger()
    lean_trigger.pull_trigger(lambda: ran.append("first"))
    lean_trigger.pull_trigger(lambda: ran.append("second"))
    assert lean_trigger.pending
    assert bytes_waiting(read_fd(lean_trigger)) == 3  # one for the plain pull, one per thunk
    assert ran == []  # not in the thread that pulled

    lean_trigger.handle_read()
    assert ran == ["first", "second"]
    assert not lean_trigger.pending
    assert bytes_waiting(read_fd(lean_trigger)) == 0

    lean_trigger.pull_trigger(lambda: ran.append("third"))  # with nothing pending too
    assert bytes_waiting(read_fd(lean_trigger)) == 1
    lean_trigger.handle_read()
    assert ran == ["first", "second", "third"]


def test_a_pull_from_a_thunk_while_the_loop_reads_is_not_lost(lean_trigger):
    """A pull made while handle_read runs (after its read) writes nothing; the loop's next
    round sees what the puller changed, so it needs no byte. Pulls after handle_read write."""
    lean_trigger.pull_trigger(lambda: lean_trigger.pull_trigger())
    lean_trigger.handle_read()
    assert not lean_trigger.pending
    assert bytes_waiting(read_fd(lean_trigger)) == 0
    lean_trigger.pull_trigger()
    assert bytes_waiting(read_fd(lean_trigger)) == 1


@pytest.mark.parametrize("when", ["before the read", "after the read"])
def test_a_pull_at_any_point_of_handle_read_leaves_no_pending_without_a_byte(lean_trigger, when):
    """pending means a byte is on its way to the loop: were it set with the pipe empty, every
    later pull would be skipped and the loop would sleep through the requests' wake-ups."""
    real_recv = lean_trigger.recv

    def recv(size):
        if when == "before the read":
            lean_trigger.pull_trigger()
        data = real_recv(size)
        if when == "after the read":
            lean_trigger.pull_trigger()
        return data

    lean_trigger.recv = recv
    lean_trigger.pull_trigger()
    lean_trigger.handle_read()
    assert not lean_trigger.pending or bytes_waiting(read_fd(lean_trigger)) > 0
    lean_trigger.recv = real_recv

    while bytes_waiting(read_fd(lean_trigger)):  # the loop's next rounds
        lean_trigger.handle_read()
    assert not lean_trigger.pending
    lean_trigger.pull_trigger()
    assert bytes_waiting(read_fd(lean_trigger)) == 1


def test_the_server_has_one_trigger_and_it_is_lean(app):
    server = GracefulServer(app, grace_seconds=1, listen="127.0.0.1:0", threads=1)
    try:
        socket_map = server._map
        assert server.server.trigger in socket_map.values()
        kinds = sorted(type(dispatcher).__name__ for dispatcher in socket_map.values())
        assert kinds == ["LeanTrigger", "_Server"]  # waitress's own trigger was closed and taken out
    finally:
        server.stop()
        assert server.serve() == 0
    assert server._map == {}


def keep_alive_clients(address, clients: int, requests_each: int) -> list[tuple[int, bytes, str, str | None]]:
    """`clients` threads at once, each sending `requests_each` GETs of /echo/<client>/<n>
    on one kept-alive connection; every answer as (status, body, path, its Connection
    header), once each client is checked to have had all its answers on its first socket."""
    results: dict[int, list] = {}
    errors: list = []

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(*address, timeout=CLIENT_TIMEOUT)
        got = []
        try:
            for request in range(requests_each):
                path = f"/echo/{number}/{request}"
                connection.request("GET", path)
                if request == 0:
                    first_socket = connection.sock
                assert connection.sock is first_socket  # kept alive: the request went out on the first socket
                response = connection.getresponse()
                got.append((response.status, response.read(), path, response.getheader("Connection")))
        except Exception as error:  # reported below, with the client's number
            errors.append((number, repr(error)))
        finally:
            connection.close()
            results[number] = got

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(CLIENT_TIMEOUT * 2)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert sorted(results) == list(range(clients))
    assert all(len(got) == requests_each for got in results.values())
    return [answer for got in results.values() for answer in got]


def test_no_request_is_left_waiting_under_concurrency(app):
    with graceful_waitress(app, threads=8) as address:
        answers = keep_alive_clients(address, clients=16, requests_each=50)

    for status, body, path, connection in answers:
        assert status == 200
        assert body == path.encode() * (1 + len(path) % 7)
        assert connection is None
