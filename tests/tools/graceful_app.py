"""A WSGI application whose /slow requests wait until released, for the tests of
tools/graceful.py; run as a module, it serves one under GracefulServer with its signal
handlers, as tools/serve.py does:

    python -m tests.tools.graceful_app GRACE_SECONDS [START_SECONDS]

prints `starting`, takes START_SECONDS to start (as a service migrating), prints `port N`
once listening and `started` when a slow request begins; SIGUSR1 releases the slow
requests; the exit code is serve()'s.
"""

import signal
import sys
import threading
import time


class GatedApp:
    def __init__(self, on_start=lambda: None):
        self.started = threading.Event()
        self.release = threading.Event()
        self.on_start = on_start

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            self.started.set()
            self.on_start()
            self.release.wait(60)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]


def wait_for(predicate, *, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def main() -> int:
    from tools.graceful import GracefulServer, exit_on_signals_while_starting

    exit_on_signals_while_starting()
    print("starting", flush=True)
    time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 0)
    app = GatedApp(on_start=lambda: print("started", flush=True))
    server = GracefulServer(app, grace_seconds=float(sys.argv[1]), listen="127.0.0.1:0", threads=2)
    server.stop_on_signals()
    signal.signal(signal.SIGUSR1, lambda signum, frame: app.release.set())
    print(f"port {server.address[1]}", flush=True)
    return server.serve()


if __name__ == "__main__":
    sys.exit(main())
