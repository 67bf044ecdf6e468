"""The gateway's tests drive its real WSGI entry (routing/handler.py), as a server
would: a forwarded route goes through the forwarding handler's short middleware
chain, everything else through the full Django application. `upstream` is a stand-in
service the gateway forwards to."""

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.http import HttpResponse
from django.test import Client

from common.testing.database import database_kept_open
from routing import proxy
from routing.handler import gateway_application


def wsgi_answer(application, environ) -> tuple[str, list[tuple[str, str]], bytes]:
    """The status, headers and body a WSGI application answers, as a server would read
    them, with the test's database connection kept open."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, headers

    with database_kept_open():
        chunks = application(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            chunks.close()
    return answer["status"], answer["headers"], body


class GatewayAppHandler:
    """Calls the WSGI application and turns its answer back into an HttpResponse for the
    test client. Like Django's ClientHandler, it keeps the test's database connection
    open (closing it would end the test's transaction)."""

    def __init__(self):
        self.application = gateway_application(WSGIHandler())

    def __call__(self, environ):
        status, headers, body = wsgi_answer(self.application, environ)
        response = HttpResponse(body, status=int(status.split()[0]))
        del response["Content-Type"]
        for name, value in headers:
            if name.lower() == "set-cookie":
                response.cookies.load(value)
            else:
                response[name] = value
        response.wsgi_request = WSGIRequest(environ)  # what the test client reads from it
        return response


class GatewayClient(Client):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.handler = GatewayAppHandler()


@pytest.fixture
def client():
    return GatewayClient()


class RecordingUpstream(BaseHTTPRequestHandler):
    """A stand-in service: records what reached it and answers with a fixed reply;
    paths containing /slow/ answer after `slow_seconds`, those containing /cookies/ set
    two cookies."""

    protocol_version = "HTTP/1.1"
    slow_seconds = 1.5

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append({"method": self.command, "target": self.path, "headers": self.headers, "body": body})
        if "/slow/" in self.path:
            time.sleep(self.slow_seconds)
        reply = json.dumps({"ok": True, "path": self.path}).encode()
        status = 200 if self.path == "/ready/" else 201
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Upstream", "book")
        if "/cookies/" in self.path:
            self.send_header("Set-Cookie", "book_csrftoken=abc; expires=Fri, 03 Dec 2027 05:12:26 GMT; Path=/")
            self.send_header("Set-Cookie", 'book_messages=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/')
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def book_stand_in(settings, handler_class: type[BaseHTTPRequestHandler]):
    """A running HTTP server answering with handler_class; the gateway's book route points at it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "book": f"http://127.0.0.1:{server.server_port}"}
    proxy.pools.forget()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def upstream(settings, monkeypatch):
    """A running stand-in for book_service that records what it was sent."""
    with book_stand_in(settings, RecordingUpstream) as server:
        server.seen = []
        yield server
