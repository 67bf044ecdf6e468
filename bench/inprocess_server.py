"""Serve a WSGI application in this one process, for bench/servers.py:

    python -m bench.inprocess_server waitress PORT module:attribute
    python -m bench.inprocess_server granian PORT module:attribute

waitress: as tools/serve.py serves a service (GracefulServer, the services' settings).
granian: as tools/serve.py serves the gateway (tools/granian_worker.py: granian's Rust
WSGI worker, with no supervisor process beside it). SIGTERM or SIGINT stops either:
new connections are refused, the requests in flight finish, then the process exits.
"""

import importlib
import os
import sys

THREADS = 8  # granian's Python threads: waitress's default (tools/serve.py, WEB_THREADS)


def load(target: str):
    module, attribute = target.split(":")
    sys.path.insert(0, os.getcwd())  # as waitress's and granian's runners do
    return getattr(importlib.import_module(module), attribute)


def serve_waitress(application, port: int) -> int:
    from tools.graceful import GracefulServer
    from tools.serve import SHUTDOWN_GRACE_SECONDS, waitress_settings

    settings = waitress_settings(port, "bench") | {"listen": f"127.0.0.1:{port}"}
    server = GracefulServer(application, grace_seconds=SHUTDOWN_GRACE_SECONDS, **settings)
    server.stop_on_signals()
    return server.serve()


def serve_granian(application, port: int) -> int:
    from tools.granian_worker import GranianServer
    from tools.serve import CONNECTION_LIMIT, IDLE_SECONDS, MAX_BODY_BYTES, SHUTDOWN_GRACE_SECONDS

    server = GranianServer(
        application,
        host="127.0.0.1",
        port=port,
        threads=THREADS,
        grace_seconds=SHUTDOWN_GRACE_SECONDS,
        max_body_bytes=MAX_BODY_BYTES,
        connection_limit=CONNECTION_LIMIT,
        header_read_timeout_seconds=IDLE_SECONDS,
    )
    server.stop_on_signals()
    return server.serve()


def main() -> None:
    server, port, target = sys.argv[1:4]
    serve = {"waitress": serve_waitress, "granian": serve_granian}[server]
    code = serve(load(target), int(port))
    os._exit(code)  # as tools/serve.py: granian's threads must not hold the exit


if __name__ == "__main__":
    main()
