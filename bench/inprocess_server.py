"""Serve a WSGI application in this one process, for bench/servers.py:

    python -m bench.inprocess_server waitress PORT module:attribute
    python -m bench.inprocess_server granian PORT module:attribute

waitress: as tools/serve.py serves a service (GracefulServer, the services' settings).
granian: its Rust WSGI worker driven from here, with no supervisor process beside it:
granian's own runner always starts one, memory the services have no room for, so this
measures what the worker alone would cost. It uses granian's internals (the worker's
constructor and `serve_mtr`, as granian.server.mt calls them), which only the version
pinned in requirements-bench.txt is known to have. SIGTERM or SIGINT stops either:
new connections are refused, the requests in flight finish, then the process exits.
"""

import asyncio
import importlib
import os
import signal
import socket
import sys
import threading

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
    from granian._futures import _new_cbscheduler
    from granian._granian import SocketHolder, WorkerSignal, WSGIWorker
    from granian.http import HTTP1Settings
    from granian.wsgi import _callback_wrapper

    listener = socket.create_server(("127.0.0.1", port), backlog=1024)
    # Inherited by the accepted connections: a Django response is an iterable, which the
    # worker writes after its headers, and Nagle's algorithm would hold that write for
    # the client's delayed ACK (tens of milliseconds).
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    stopping = WorkerSignal()  # set: stop accepting, finish what is in flight, then call back
    drained = threading.Event()
    stopping.add_cb(drained.set)
    worker = WSGIWorker(
        1,  # worker id
        (None, SocketHolder(listener.detach(), False, 1024)),  # the worker owns the socket now
        None,  # no IPC: there is no supervisor
        1,  # Rust runtime threads
        512,  # Rust blocking threads (granian's default)
        THREADS,  # Python threads running the application
        30,  # seconds before an idle Python thread ends (granian's default)
        1000,  # connections served at once (the services' connection_limit)
        "1",  # HTTP/1.1 only
        HTTP1Settings(header_read_timeout=60_000, max_buffer_size=65536),
        None,  # no HTTP/2
        None,  # no static files
        False,  # no TLS, and its settings:
        None,
        None,
        None,
        "1.3",
        None,
        [],
        False,
        (None, None),  # no metrics
    )
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stopping.set())
    loop = asyncio.new_event_loop()  # the scheduler needs one; WSGI calls never run on it
    worker.serve_mtr(_new_cbscheduler(loop, _callback_wrapper(application, {}, None)), loop, stopping)
    drained.wait()
    return 0


def main() -> None:
    server, port, target = sys.argv[1:4]
    serve = {"waitress": serve_waitress, "granian": serve_granian}[server]
    code = serve(load(target), int(port))
    os._exit(code)  # as tools/serve.py: granian's threads must not hold the exit


if __name__ == "__main__":
    main()
