import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from routing import proxy


class RecordingUpstream(BaseHTTPRequestHandler):
    """A stand-in service: records what reached it and answers with a fixed reply;
    paths containing /slow/ answer after `slow_seconds`."""

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
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream(settings, monkeypatch):
    """A running stand-in for book_service; the gateway's book route points at it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingUpstream)
    server.daemon_threads = True
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "book": f"http://127.0.0.1:{server.server_port}"}
    proxy.pools.forget()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port_url():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more
