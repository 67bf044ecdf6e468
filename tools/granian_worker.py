"""The gateway's server: granian's Rust HTTP worker, driven in this one process.

The gateway is a proxy: each of its requests waits on a service while others arrive.
Under waitress its poll loop and worker threads hand the GIL to each other at every
read and write; granian's worker reads and writes the sockets in Rust, without the GIL,
and runs only the application in Python threads (docs/performance.md, "Serving").

granian's own runner always starts a supervisor process beside its worker, memory the
services have no room for, so the worker is driven here as granian.server.mt drives it,
from internals of the version pinned in requirements.txt (tests/tools/test_granian_worker.py
fails if they change). What waitress gives the other services and granian's worker does
not is added here:

- the environ holds the WSGI keys and the request, not the process's environment
  (granian's own adapter copies os.environ, secrets included, into every request);
- a body is read whole before the application runs, as waitress does: granian calls it
  once the headers are in, and its wsgi.input ends quietly where a client stopped, so a
  proxy would pass a cut-off body on as a whole one. A body declared over max_body_bytes
  is a 413 and one shorter than declared a 400, neither reaching the application. A
  chunked body is a 411 (a Content-Length is required): granian's reader ends a cut-off
  or malformed one as if it were complete, so its end cannot be told from a client gone;
- headers over HEADER_BUFFER_BYTES (up to twice that when they arrive in one piece) or
  more than 100 of them are a 431 from granian itself, with an empty body;
- TCP_NODELAY on the listening socket, which accepted connections inherit: a Django
  response that is not a list would otherwise wait for the client's delayed ACK;
- a graceful stop: on SIGTERM or SIGINT no new connections, idle ones closed, requests
  in flight finished within grace_seconds (a second signal ends the wait), then
  `serve()` returns 0, or 1 if requests were cut.

granian does not give the raw request target (waitress's REQUEST_URI): the gateway
forwards the path as Django re-quotes it (routing.proxy.upstream_target).
"""

import asyncio
import io
import json
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterable

from granian._futures import _new_cbscheduler
from granian._granian import SocketHolder, WorkerSignal, WSGIWorker
from granian.http import HTTP1Settings
from granian.wsgi import Response, ResponseIterWrap

logger = logging.getLogger(__name__)

HEADER_BUFFER_BYTES = 65536
BACKLOG = 1024
# The environ's own keys (PEP 3333); granian's scope adds the request's.
_BASE_ENVIRON = {
    "GATEWAY_INTERFACE": "CGI/1.1",
    "SCRIPT_NAME": "",
    "wsgi.errors": sys.stderr,
    "wsgi.multiprocess": False,
    "wsgi.multithread": True,
    "wsgi.run_once": False,
    "wsgi.version": (1, 0),
}


def refuse(proto, status: int, code: str, message: str) -> int:
    """An answer in the common error shape (common.errors), the connection then closed."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close")]
    proto.response_bytes(status, headers, body)
    return status


def wsgi_callback(application: Callable, max_body_bytes: int) -> Callable:
    """granian's per-request callback (what granian.wsgi._callback_wrapper makes) for
    `application`, with the environ and body rules above."""

    def run(proto, scope: dict) -> int:
        environ = _BASE_ENVIRON | scope
        if declared := environ.get("CONTENT_LENGTH"):  # granian has checked it is a number
            length = int(declared)
            if length > max_body_bytes:
                return refuse(proto, 413, "payload_too_large", f"The request body is over {max_body_bytes} bytes.")
            body = environ["wsgi.input"].read(length)
            if len(body) < length:
                return refuse(proto, 400, "bad_request", f"The request body ended before its {length} bytes.")
            environ["wsgi.input"] = io.BytesIO(body)
        elif "HTTP_TRANSFER_ENCODING" in environ:
            return refuse(proto, 411, "length_required", "A request body needs a Content-Length.")
        start = Response()
        answer = application(environ, start)
        if isinstance(answer, list):
            proto.response_bytes(start.status, start.headers, b"".join(answer))
        elif getattr(answer, "streaming", True) is False:
            # A Django response held in memory (or the gateway's routing.handler.AnswerInMemory):
            # one write, as for a list (granian writes any other iterable a part at a time,
            # taking the GIL for each).
            try:
                body = answer.content
            finally:
                answer.close()
            proto.response_bytes(start.status, start.headers, body)
        else:
            proto.response_iter(start.status, start.headers, ResponseIterWrap(answer))
        return start.status

    return run


class GranianServer:
    """One granian WSGI worker serving `application` on host:port; `serve()` blocks."""

    def __init__(
        self,
        application: Callable[[dict, Callable], Iterable[bytes]],
        *,
        host: str,
        port: int,
        threads: int,
        grace_seconds: float,
        max_body_bytes: int,
        connection_limit: int,
        header_read_timeout_seconds: int,
    ):
        self.callback = wsgi_callback(application, max_body_bytes)
        self.host, self.port = host, port
        self.threads = threads
        self.grace_seconds = grace_seconds
        self.connection_limit = connection_limit
        self.header_read_timeout_seconds = header_read_timeout_seconds
        self.stopping = WorkerSignal()  # set: stop accepting, finish what is in flight, then call back
        self.stop_asked = threading.Event()
        self.drained = threading.Event()  # the worker called back: nothing is in flight
        self.wait_over = threading.Event()  # drained, or a second signal
        self.stopping.add_cb(self._on_drained)

    def _on_drained(self) -> None:
        self.drained.set()
        self.wait_over.set()

    def stop_on_signals(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: self.stop())

    def stop(self) -> None:
        if self.stop_asked.is_set():  # a second signal: do not wait for the requests in flight
            self.wait_over.set()
            return
        self.stop_asked.set()
        logger.info("stopping: no new connections; up to %g s for the requests in flight", self.grace_seconds)
        self.stopping.set()

    def serve(self) -> int:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.create_server((self.host, self.port), family=family, backlog=BACKLOG)
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        worker = WSGIWorker(
            1,  # worker id
            (None, SocketHolder(listener.detach(), False, BACKLOG)),  # the worker owns the socket now
            None,  # no IPC: there is no supervisor
            1,  # Rust runtime threads: the sockets' work is small beside the application's
            512,  # Rust blocking threads (granian's default)
            self.threads,  # Python threads running the application
            30,  # seconds before an idle Python thread ends (granian's default)
            self.connection_limit,  # requests served at once; more wait to be accepted
            "1",  # HTTP/1.1 only
            HTTP1Settings(
                header_read_timeout=self.header_read_timeout_seconds * 1000, max_buffer_size=HEADER_BUFFER_BYTES
            ),
            None,  # no HTTP/2
            None,  # no static files (whitenoise serves them)
            False,  # no TLS (a load balancer or ingress ends it), and its settings:
            None,
            None,
            None,
            "1.3",
            None,
            [],
            False,
            (None, None),  # no metrics of granian's own (common.metrics counts requests)
        )
        loop = asyncio.new_event_loop()  # the scheduler needs one; WSGI calls never run on it
        worker.serve_mtr(_new_cbscheduler(loop, self.callback), loop, self.stopping)
        logger.info("serving on %s:%s with granian", self.host, self.port)
        self.stop_asked.wait()
        self.wait_over.wait(self.grace_seconds)
        if self.drained.is_set():
            return 0
        logger.warning("requests still in flight were cut (grace period %s s)", self.grace_seconds)
        return 1
