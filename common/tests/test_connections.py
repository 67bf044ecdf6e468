"""The HTTP/1.1 client of the gateway and common.http (common.connections) against a service played byte by
byte: how answers are framed, which connections are kept, and which requests are tried
again on a new connection."""

import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from urllib3.exceptions import HTTPError, NewConnectionError, ProtocolError, ReadTimeoutError

from common.connections import ServiceConnections

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class ScriptedService:
    """A service on a socket of its own: each connection it accepts is handed to `serve`,
    which reads requests with `read_request` and writes whatever bytes the test wants.
    Keeps every request it read, counts the connections, and releases `hung_up` as it
    closes each."""

    def __init__(self, serve: Callable[["ScriptedService", socket.socket], None]):
        self.serve = serve
        self.requests: list[bytes] = []
        self.connections = 0
        self.hung_up = threading.Semaphore(0)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            self.serve(self, conn)
        self.hung_up.release()

    def read_request(self, conn: socket.socket) -> bytes:
        """One request's head and body (by its Content-Length); b"" when the client closed."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return b""
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
        )
        while len(body) < length:
            body += conn.recv(65536)
        self.requests.append(head + b"\r\n\r\n" + body)
        return head

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def service() -> Iterator[Callable[..., ScriptedService]]:
    started: list[ScriptedService] = []

    def start(serve: Callable[[ScriptedService, socket.socket], None]) -> ScriptedService:
        started.append(ScriptedService(serve))
        return started[-1]

    yield start
    for each in started:
        each.close()


def answering(*answers: bytes) -> Callable[[ScriptedService, socket.socket], None]:
    """Answers the requests on a connection with these bytes in turn, then closes it."""

    def serve(service: ScriptedService, conn: socket.socket) -> None:
        for answer in answers:
            if not service.read_request(conn):
                return
            conn.sendall(answer)

    return serve


def get(connections: ServiceConnections, method: str = "GET", target: str = "/api/books/1/", **kwargs):
    kwargs.setdefault("headers", {"X-Request-ID": "r-1"})
    kwargs.setdefault("read_timeout", 1)
    return connections.request(method, target, connect_timeout=1, **kwargs)


def test_a_request_is_written_as_http_1_1_with_host_and_content_length(service):
    book = service(answering(OK))
    answer = get(ServiceConnections(book.url), "POST", "/api/books/?q=%20x", body=b'{"a": 1}')

    host = book.url.removeprefix("http://")
    assert book.requests == [
        f"POST /api/books/?q=%20x HTTP/1.1\r\nHost: {host}\r\nX-Request-ID: r-1\r\nContent-Length: 8\r\n\r\n".encode()
        + b'{"a": 1}'
    ]
    assert (answer.status, answer.reason, answer.body) == (200, "OK", b"{}")
    assert answer.headers == [("Content-Type", "application/json"), ("Content-Length", "2")]


def test_a_write_without_a_body_says_so(service):
    book = service(answering(OK))
    get(ServiceConnections(book.url), "DELETE")
    get(ServiceConnections(book.url), "POST")
    assert b"Content-Length" not in book.requests[0]
    assert b"\r\nContent-Length: 0\r\n\r\n" in book.requests[1]


def test_a_kept_alive_connection_carries_the_next_request(service):
    book = service(answering(OK, OK, OK))
    connections = ServiceConnections(book.url)
    for _ in range(3):
        assert get(connections).status == 200
    assert book.connections == 1


@pytest.mark.parametrize(
    ("answer", "body"),
    [
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n2\r\nef\r\n0\r\nTrailer: 1\r\n\r\n",
            b"abcdef",
        ),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b""),
        (b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", b""),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", b"x"),
        (b"HTTP/1.1 200 OK\r\nX-Long: a\r\n b\r\nContent-Length: 1\r\n\r\nx", b"x"),
    ],
)
def test_an_answer_framed_by_its_length_or_chunks_leaves_the_connection_usable(service, answer, body):
    book = service(answering(answer, OK))
    connections = ServiceConnections(book.url)
    assert get(connections).body == body
    assert get(connections).body == b"{}"
    assert book.connections == 1


def test_a_folded_header_line_continues_the_value_before_it(service):
    book = service(answering(b"HTTP/1.1 200 OK\r\nX-Long: a\r\n\tb\r\nContent-Length: 0\r\n\r\n"))
    assert get(ServiceConnections(book.url)).headers == [("X-Long", "a b"), ("Content-Length", "0")]


def test_a_head_requests_answer_has_no_body_whatever_its_length(service):
    book = service(answering(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", OK))
    connections = ServiceConnections(book.url)
    assert get(connections, "HEAD").body == b""
    assert get(connections).body == b"{}"


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    ],
)
def test_a_connection_the_service_closes_is_not_kept(service, answer):
    book = service(answering(answer))
    connections = ServiceConnections(book.url)
    assert get(connections).body == b"{}"
    assert connections._idle == []


def test_an_answer_framed_by_the_end_of_the_connection_is_read_to_it(service):
    def serve(service, conn):
        service.read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\n\r\nall of")
        conn.sendall(b" it")

    connections = ServiceConnections(service(serve).url)
    assert get(connections).body == b"all of it"
    assert connections._idle == []


@pytest.mark.parametrize(
    "answer",
    [
        b"",  # closed without a word, on a new connection
        b"SSH-2.0-OpenSSH\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_what_is_not_a_whole_http_answer_is_a_protocol_error(service, answer):
    book = service(answering(answer))
    with pytest.raises(ProtocolError):
        get(ServiceConnections(book.url), "POST")


def test_a_slow_answer_is_a_read_timeout_never_tried_again(service):
    def serve(service, conn):
        service.read_request(conn)
        service.read_request(conn)  # never answers; returns when the client closes

    book = service(serve)
    with pytest.raises(ReadTimeoutError):
        ServiceConnections(book.url).request("GET", "/", headers={}, connect_timeout=1, read_timeout=0.2)
    assert len(book.requests) == 1


def test_a_write_the_service_does_not_read_in_time_is_a_read_timeout(service):
    def serve(service, conn):
        service.hung_up.acquire()  # reads nothing until the client gives up

    book = service(serve)
    with pytest.raises(ReadTimeoutError):
        get(ServiceConnections(book.url), "POST", body=b"x" * (64 * 1024 * 1024), read_timeout=0.2)
    book.hung_up.release()


def test_a_read_timeout_changed_between_requests_is_the_next_ones(service):
    def serve(service, conn):
        service.read_request(conn)
        conn.sendall(OK)
        service.read_request(conn)
        threading.Event().wait(0.5)
        conn.sendall(OK)

    connections = ServiceConnections(service(serve).url)
    assert get(connections, read_timeout=None).status == 200  # None: no timeout, as Python's own
    with pytest.raises(ReadTimeoutError):
        get(connections, read_timeout=0.2)


def test_no_connection_is_a_new_connection_error(closed_port_url):
    with pytest.raises(NewConnectionError):
        get(ServiceConnections(closed_port_url))


def closes_after_first_answer(service, conn):
    """Answers one request on a connection, then closes it as an idle kept-alive
    connection is closed (waitress's channel_timeout)."""
    if service.read_request(conn):
        conn.sendall(OK)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_idle_connection_the_service_closed_costs_no_failure(service, method):
    book = service(closes_after_first_answer)
    connections = ServiceConnections(book.url)
    get(connections)
    assert book.hung_up.acquire(timeout=5)
    assert get(connections, method).status == 200
    assert book.connections == 2


def test_a_write_is_never_sent_twice(service):
    def reads_and_hangs_up(service, conn):
        service.read_request(conn)

    book = service(reads_and_hangs_up)
    with pytest.raises(ProtocolError):
        get(ServiceConnections(book.url), "POST", body=b"{}")
    assert len(book.requests) == 1


def test_a_request_that_may_be_repeated_is_tried_once_more_on_a_new_connection(service):
    def first_hangs_up(service, conn):
        if service.connections == 1:
            service.read_request(conn)  # read, never answered
        else:
            answering(OK)(service, conn)

    book = service(first_hangs_up)
    assert get(ServiceConnections(book.url), "DELETE").status == 200
    assert len(book.requests) == 2
    assert book.connections == 2


def test_a_request_is_tried_at_most_twice(service):
    book = service(lambda service, conn: service.read_request(conn))
    with pytest.raises(HTTPError):
        get(ServiceConnections(book.url))
    assert len(book.requests) == 2


@pytest.mark.parametrize(
    ("target", "headers"),
    [("/api/books/ 1/", {}), ("/api/\r\nbooks/", {}), ("/", {"X-Evil": "a\r\nX-Injected: 1"}), ("/", {"X\nY": "1"})],
)
def test_a_target_or_header_that_would_break_a_line_is_refused_before_sending(service, target, headers):
    book = service(answering(OK))
    with pytest.raises(ValueError, match="cannot hold"):
        get(ServiceConnections(book.url), target=target, headers=headers)
    assert book.requests == []


def test_the_host_names_the_port_only_when_it_is_not_the_schemes():
    assert ServiceConnections("http://book-service:2100").host_header == "book-service:2100"
    assert ServiceConnections("http://book-service").host_header == "book-service"
    assert ServiceConnections("https://book.example:443").host_header == "book.example"
    assert ServiceConnections("http://[::1]:2100").host_header == "[::1]:2100"
