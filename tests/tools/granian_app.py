"""A WSGI application for the tests of tools/granian_worker.py; run as a module, it serves
it under GranianServer with its signal handlers, as tools/serve.py does:

    python -m tests.tools.granian_app PORT GRACE_SECONDS MAX_BODY_BYTES

prints `started` when a /slow request begins; SIGUSR1 releases the /slow requests; the
exit code is serve()'s (through os._exit, as tools/serve.py ends).
"""

import json
import os
import signal
import sys
import threading


class ClosingResponse:
    """A Django response in memory (HttpResponse): its content at once, close() to call."""

    streaming = False

    def __init__(self, content: bytes, on_close):
        self.content = content
        self.on_close = on_close

    def __iter__(self):
        return iter([self.content])

    def close(self):
        self.on_close()


class StreamingResponse:
    """A Django StreamingHttpResponse: its parts one at a time, close() to call."""

    streaming = True

    def __init__(self, parts, on_close):
        self.parts = parts
        self.on_close = on_close

    def __iter__(self):
        return iter(self.parts)

    def close(self):
        self.on_close()


def parts(count: int) -> list[bytes]:
    return [f"part {n};".encode() * 100 for n in range(count)]


class App:
    """What each request saw, in this process: GET /seen answers it as JSON."""

    def __init__(self):
        self.release = threading.Event()
        self.paths: list[str] = []  # every request's path, /seen's excepted
        self.closed: list[str] = []  # the paths whose response's close() ran

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        if path != "/seen":
            self.paths.append(path)
        if path.startswith("/echo/"):
            return self.answer(start_response, path.encode() * 3)
        route = getattr(self, "route_" + path.strip("/").replace("-", "_"), None)
        if route is None:
            start_response("404 Not Found", [("Content-Length", "0")])
            return []
        return route(environ, start_response)

    def answer(self, start_response, body: bytes, status: str = "200 OK", content_type: str = "text/plain"):
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    def route_seen(self, environ, start_response):
        body = json.dumps({"paths": self.paths, "closed": self.closed}).encode()
        return self.answer(start_response, body, content_type="application/json")

    def route_environ(self, environ, start_response):
        seen = {key: value if isinstance(value, str) else type(value).__name__ for key, value in environ.items()}
        return self.answer(start_response, json.dumps(seen).encode(), content_type="application/json")

    def route_body(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH")
        body = environ["wsgi.input"].read(int(length)) if length else b""
        start_response("200 OK", [("Content-Length", str(len(body))), ("X-Content-Length", str(length))])
        return [body]

    def route_list(self, environ, start_response):
        body = parts(50)
        start_response("200 OK", [("Content-Length", str(sum(map(len, body))))])
        return body

    def route_django(self, environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return ClosingResponse(b"".join(parts(50)), lambda: self.closed.append(environ["PATH_INFO"]))

    def route_streaming(self, environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return StreamingResponse(parts(50), lambda: self.closed.append(environ["PATH_INFO"]))

    def route_generator(self, environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield from parts(50)

    def route_slow(self, environ, start_response):
        print("started", flush=True)
        self.release.wait(60)
        return self.answer(start_response, b"slow and done")

    def route_raise(self, environ, start_response):
        raise RuntimeError("the application failed")


def main() -> int:
    from tools.granian_worker import GranianServer

    port, grace_seconds, max_body_bytes = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    app = App()
    server = GranianServer(
        app,
        host="127.0.0.1",
        port=port,
        threads=8,
        grace_seconds=grace_seconds,
        max_body_bytes=max_body_bytes,
        connection_limit=1000,
        header_read_timeout_seconds=60,
    )
    server.stop_on_signals()
    signal.signal(signal.SIGUSR1, lambda signum, frame: app.release.set())
    return server.serve()


if __name__ == "__main__":
    os._exit(main())
