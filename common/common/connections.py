"""The HTTP/1.1 client to the services, of the gateway's forwarding and of common.http:
kept-alive connections, one request at a time on each, every answer read whole.

Written for these paths rather than taken from urllib3 or http.client: both parse
an answer's headers with the email package, and urllib3 wraps every call in retry,
timeout, header and response objects; that was most of the gateway's own CPU per
forwarded request (docs/performance.md), and much of a call between services. Here a
request is one write and its answer a few buffered reads, parsed by what the services
send: a status line, headers, and a body framed by Content-Length, by chunks, or by the
end of the connection.

What urllib3 did that matters is kept: TCP_NODELAY; an idle connection the service has
closed is found before a request that must not be repeated is written on it (a write:
one poll() of its socket), and a request that may be (RFC 9110 9.2.2) is retried once on a
new connection when a kept-alive one turns out to be gone; a connection that could not be
made is tried once more; a read timeout is never retried (it would double the wait on a
slow service). Failures are raised as urllib3's exceptions, which the circuit breakers
(routing.breakers) and the callers know: NewConnectionError (no connection),
ReadTimeoutError (no answer in time), ProtocolError (the connection broke, or the answer
is not HTTP/1.x).
"""

import io
import re
import select
import socket
import ssl
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from urllib3.exceptions import NewConnectionError, ProtocolError, ReadTimeoutError

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
# Methods whose request carries a Content-Length even with no body (as http.client sends).
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_MAX_LINE = 65536  # the longest status or header line read (as http.client)
_MAX_HEADERS = 100
_NO_BODY_STATUSES = frozenset({204, 304})
# A request target with a space or a control character would change the request line.
_NOT_IN_TARGET = re.compile(r"[\x00-\x20\x7f]")


@dataclass(slots=True)
class Answer:
    status: int
    reason: str
    headers: list[tuple[str, str]]  # as the service sent them, in order, repeats included
    body: bytes


class _GoneBeforeAnswering(Exception):
    """A kept-alive connection was closed or reset before an answer began: the service had
    closed it while it was idle (or went away)."""


class _Connection:
    """A kept-alive connection. A plain one blocks with the read timeout set in the
    kernel (SO_RCVTIMEO, SO_SNDTIMEO): with a timeout of Python's, each send and each
    receive is preceded by a poll() of the socket, a system call more every time. A TLS
    one keeps Python's timeout: ssl reports the kernel's as a wait for more to read."""

    __slots__ = ("kernel_timeout", "read_timeout", "reader", "sock")

    def __init__(self, sock: socket.socket, read_timeout: float):
        self.sock = sock
        self.kernel_timeout = not isinstance(sock, ssl.SSLSocket)
        if self.kernel_timeout:
            sock.settimeout(None)
            self.reader: io.BufferedReader = io.BufferedReader(_Received(sock))
        else:
            self.reader = sock.makefile("rb")
        self.set_read_timeout(read_timeout)

    def set_read_timeout(self, read_timeout: float) -> None:
        if self.kernel_timeout:
            timeval = _timeval(read_timeout)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        else:
            self.sock.settimeout(read_timeout)
        self.read_timeout = read_timeout

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except BlockingIOError as slow:  # SO_SNDTIMEO ran out
            raise TimeoutError from slow

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def closed_while_idle(self) -> bool:
        # Readable while idle: the service closed it (or sent something unasked for).
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        return bool(poller.poll(0))


def _timeval(seconds: float | None) -> bytes:
    """SO_RCVTIMEO's struct timeval: none for None (as Python's); never under a
    microsecond, which the kernel would take for none."""
    if seconds is None:
        return struct.pack("ll", 0, 0)
    return struct.pack("ll", *divmod(max(round(seconds * 1_000_000), 1), 1_000_000))


class _Received(io.RawIOBase):
    """A blocking socket's bytes, for a BufferedReader: a receive that SO_RCVTIMEO cut
    short is a TimeoutError, as it is with Python's timeout (socket.SocketIO would
    answer None, which the reader takes for the end of the connection)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return self.sock.recv_into(buffer)
        except BlockingIOError as slow:
            raise TimeoutError from slow


class ServiceConnections:
    """Kept-alive connections to one service (its URL: http or https, host, port),
    shared by the threads of the process: each request takes an idle one or opens one,
    and puts it back when its answer is read whole (at most `max_idle` are kept).
    `retry_connect`: whether a connection that could not be made is tried once more (not
    when the caller retries connects by rules of its own)."""

    def __init__(self, url: str, *, max_idle: int = 32, retry_connect: bool = True):
        parts = urlsplit(url)
        self.tls = parts.scheme == "https"
        self.host = parts.hostname or "localhost"
        default_port = 443 if self.tls else 80
        self.port = parts.port or default_port
        # As urllib3 sent it: the port only when it is not the scheme's own.
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header = host if self.port == default_port else f"{host}:{self.port}"
        self.max_idle = max_idle
        self.retry_connect = retry_connect
        self._idle: list[_Connection] = []  # list.pop() and .append() are atomic: no lock
        self._tls_context = ssl.create_default_context() if self.tls else None

    def request(
        self,
        method: str,
        target: str,
        *,
        headers: Mapping[str, str],
        body: bytes = b"",
        connect_timeout: float,
        read_timeout: float,
    ) -> Answer:
        """`target`: the path and query, sent as they are; `headers`: sent as they are,
        after the client's own Host, with a Content-Length added unless they hold one."""
        request = self._request_bytes(method, target, headers, body)
        idempotent = method in IDEMPOTENT_METHODS
        retried = False
        while True:
            # A retry opens a new connection: the other idle ones may be as dead (a restart).
            connection = None if retried else self._take(check_idle=not idempotent)
            reused = connection is not None
            if connection is None:
                try:
                    connection = self._connect(connect_timeout, read_timeout)
                except NewConnectionError:
                    if retried or not self.retry_connect:
                        raise
                    retried = True
                    continue
            try:
                return self._exchange(connection, method, request, read_timeout, reused=reused)
            except _GoneBeforeAnswering as gone:
                if not idempotent or retried:
                    raise ProtocolError("Connection aborted.", gone.__cause__) from gone
            except ProtocolError:
                if not idempotent or retried:
                    raise
            retried = True

    def close(self) -> None:
        """Close the idle connections."""
        while self._idle:
            try:
                self._idle.pop().close()
            except IndexError:  # another thread took the last one
                return

    def _request_bytes(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> bytes:
        if _NOT_IN_TARGET.search(target):
            raise ValueError(f"A request target cannot hold spaces or control characters: {target!r}")
        lines = [f"{method} {target} HTTP/1.1\r\nHost: {self.host_header}\r\n"]
        lines.extend(f"{name}: {value}\r\n" for name, value in headers.items())
        if (body or method in _BODY_METHODS) and "Content-Length" not in headers:
            lines.append(f"Content-Length: {len(body)}\r\n")
        lines.append("\r\n")
        head = "".join(lines)
        # Each line ends in CRLF and has no other CR or LF: a header cannot start another.
        if head.count("\n") != len(lines) + 1 or head.count("\r") != len(lines) + 1:
            raise ValueError("A header name or value cannot hold a line break.")
        return head.encode("latin-1") + body

    def _take(self, *, check_idle: bool) -> _Connection | None:
        while self._idle:
            try:
                connection = self._idle.pop()
            except IndexError:  # another thread took the last one
                return None
            if check_idle and connection.closed_while_idle():
                connection.close()
                continue
            return connection
        return None

    def _connect(self, connect_timeout: float, read_timeout: float) -> _Connection:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=connect_timeout)
        except OSError as failed:  # refused, unreachable, timed out, name not found
            raise NewConnectionError(None, f"Failed to connect to {self.host}:{self.port}: {failed}") from failed  # type: ignore[arg-type]
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls_context is not None:
                sock = self._tls_context.wrap_socket(sock, server_hostname=self.host)
        except OSError as failed:
            sock.close()
            raise NewConnectionError(None, f"Failed to connect to {self.host}:{self.port}: {failed}") from failed  # type: ignore[arg-type]
        return _Connection(sock, read_timeout)

    def _exchange(
        self, connection: _Connection, method: str, request: bytes, read_timeout: float, *, reused: bool
    ) -> Answer:
        keep = False
        try:
            if connection.read_timeout != read_timeout:
                connection.set_read_timeout(read_timeout)
            try:
                connection.send(request)
                status_line = connection.reader.readline(_MAX_LINE + 1)
            except (ConnectionError, ssl.SSLEOFError) as lost:
                if reused:
                    raise _GoneBeforeAnswering from lost
                raise ProtocolError("Connection aborted.", lost) from lost
            if not status_line and reused:
                raise _GoneBeforeAnswering
            answer, keep = _read_answer(connection.reader, method, status_line)
            return answer
        except TimeoutError as slow:
            raise ReadTimeoutError(None, "", f"Read timed out. (read timeout={read_timeout})") from slow  # type: ignore[arg-type]
        except OSError as lost:
            raise ProtocolError("Connection aborted.", lost) from lost
        finally:
            if keep and len(self._idle) < self.max_idle:
                self._idle.append(connection)
            else:
                connection.close()


def _read_answer(reader: io.BufferedReader, method: str, status_line: bytes) -> tuple[Answer, bool]:
    """The answer whose status line was read, and whether the connection may carry
    another request."""
    while True:
        version, status, reason = _parse_status_line(status_line)
        headers = _read_headers(reader)
        if not 100 <= status < 200:
            break
        status_line = reader.readline(_MAX_LINE + 1)  # an interim answer (100 Continue): the real one follows
    chunked = False
    length = None
    connection_tokens = ""
    for name, value in headers:
        lowered = name.lower()
        if lowered == "content-length":
            length = _content_length(value, length)
        elif lowered == "transfer-encoding":
            chunked = value.lower().rsplit(",", 1)[-1].strip() == "chunked"
        elif lowered == "connection":
            connection_tokens += "," + value.lower()
    keep_alive = (
        "close" not in {token.strip() for token in connection_tokens.split(",")}
        if version == "HTTP/1.1"
        else "keep-alive" in {token.strip() for token in connection_tokens.split(",")}
    )
    if method == "HEAD" or status in _NO_BODY_STATUSES:
        body = b""
    elif chunked:
        body = _read_chunked(reader)
    elif length is not None:
        body = reader.read(length)
        if len(body) != length:
            raise ProtocolError(f"The answer ended after {len(body)} of its {length} bytes.")
    else:  # framed by the end of the connection
        body = reader.read()
        keep_alive = False
    return Answer(status, reason, headers, body), keep_alive


def _parse_status_line(line: bytes) -> tuple[str, int, str]:
    if not line:
        raise ProtocolError("The service closed the connection without answering.")
    if len(line) > _MAX_LINE:
        raise ProtocolError("The answer's status line is too long.")
    version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
    code, _, reason = rest.partition(" ")
    if version not in ("HTTP/1.1", "HTTP/1.0") or len(code) != 3 or not code.isdigit():
        raise ProtocolError(f"Not an HTTP/1.x status line: {line[:80]!r}")
    return version, int(code), reason.strip()


def _read_headers(reader: io.BufferedReader) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    while True:
        line = reader.readline(_MAX_LINE + 1)
        if line in (b"\r\n", b"\n"):
            return headers
        if not line:
            raise ProtocolError("The answer ended in its headers.")
        if len(line) > _MAX_LINE or len(headers) >= _MAX_HEADERS:
            raise ProtocolError("The answer's headers are too long or too many.")
        text = line.decode("latin-1")
        if text[0] in " \t" and headers:  # an obsolete folded line continues the previous value
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {text.strip()}")
            continue
        name, colon, value = text.partition(":")
        if not colon or not name or name != name.strip():
            raise ProtocolError(f"Not a header line: {line[:80]!r}")
        headers.append((name, value.strip()))


def _content_length(value: str, before: int | None) -> int:
    if not value.strip().isdigit() or (before is not None and int(value) != before):
        raise ProtocolError(f"Not a valid Content-Length: {value!r}")
    return int(value)


def _read_chunked(reader: io.BufferedReader) -> bytes:
    chunks = []
    while True:
        size_line = reader.readline(_MAX_LINE + 1)
        size_text = size_line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ProtocolError(f"Not a chunk size: {size_line[:80]!r}") from None
        if size == 0:
            break
        chunk = reader.read(size)
        if len(chunk) != size or reader.readline(_MAX_LINE + 1) not in (b"\r\n", b"\n"):
            raise ProtocolError("A chunk of the answer ended early.")
        chunks.append(chunk)
    while reader.readline(_MAX_LINE + 1) not in (b"\r\n", b"\n", b""):  # trailers, dropped (hop-by-hop)
        pass
    return b"".join(chunks)
