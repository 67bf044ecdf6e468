"""Start one service: migrate its database, then serve it in this process (waitress; the
gateway under granian's worker).

    python -m tools.serve book        (HOST and BOOK_SERVICE_PORT say where it listens)

`make run`, docker-compose.yml and the end-to-end tests all start services this way.
With LOAD_DEMO_DATA=1 it also loads the service's demo data, if it has any.

One process per service, WEB_THREADS threads (default 8): a service mostly waits on
its database or on another service, and eight services already outnumber the cores
of a small machine. waitress rather than gunicorn: no arbiter process (memory that
serves no request) and less CPU per request; the gateway, a proxy whose threads wait on
the services, keeps more of its throughput under many connections with granian's Rust
worker (tools/granian_worker.py). Measured in docs/performance.md ("Serving"). More
capacity comes from more replicas (deploy/k8s), not more processes per replica.

SIGTERM or SIGINT stops it gracefully (tools/graceful.py, tools/granian_worker.py): no new connections, the
requests in flight finished within SHUTDOWN_GRACE_SECONDS (20), database connections
closed, exit 0 (1 if requests had to be cut).
"""

import argparse
import importlib
import logging
import os
import subprocess
import sys
from typing import TYPE_CHECKING

from django.db import connections

from common import telemetry
from common.registry import SERVICES, Service
from common.settings import env_float, env_int, env_str, service_port
from tools.graceful import GracefulServer, exit_on_signals_while_starting
from tools.stack import service_dir

if TYPE_CHECKING:
    from tools.granian_worker import GranianServer

# Seconds a stopping service gives its requests in flight: below the 30 s Kubernetes
# allows (terminationGracePeriodSeconds, preStop pause included) and docker-compose.yml's
# stop_grace_period, after which they send SIGKILL.
SHUTDOWN_GRACE_SECONDS = 20
IDLE_SECONDS = 60  # an idle kept-alive connection stays open this long
# Open connections, kept-alive idle ones included (waitress's default, 100, left a burst
# of 120 clients waiting for idle ones to time out).
CONNECTION_LIMIT = 1000
MAX_BODY_BYTES = 8 * 1024 * 1024  # a 413 before the service reads it


def waitress_settings(port: int, name: str) -> dict:
    """waitress's settings (its keyword arguments) for a service on HOST:port."""
    return {
        "listen": f"{env_str('HOST', '127.0.0.1')}:{port}",
        "threads": env_int("WEB_THREADS", 8),
        "ident": f"bookstore-{name}",
        "channel_timeout": IDLE_SECONDS,
        "connection_limit": CONNECTION_LIMIT,
        "asyncore_use_poll": True,  # poll(), not select(), which stops at 1024 file descriptors
        # Headers over 64 KiB are a 431; bodies over 8 MiB a 413, both refused by waitress
        # before the service reads them (the gateway's own limit, 1 MiB, is lower).
        "max_request_header_size": 65536,
        "max_request_body_size": MAX_BODY_BYTES,
        # X-Forwarded-* reach the service, which believes them from TRUSTED_PROXIES only
        # (common.forwarded); waitress would drop them all, or trust a single address.
        "clear_untrusted_proxy_headers": False,
    }


def server_for(service: Service, application) -> "GracefulServer | GranianServer":
    """The gateway under granian's worker (tools/granian_worker.py), every other service
    under waitress (tools/graceful.py)."""
    grace_seconds = env_float("SHUTDOWN_GRACE_SECONDS", SHUTDOWN_GRACE_SECONDS)
    port = service_port(service.name)
    if service.name == "gateway":
        # Imported here: granian's Rust library, loaded, is memory (RSS) in every process.
        from tools.granian_worker import GranianServer

        return GranianServer(
            application,
            host=env_str("HOST", "127.0.0.1"),
            port=port,
            threads=env_int("WEB_THREADS", 8),
            grace_seconds=grace_seconds,
            max_body_bytes=MAX_BODY_BYTES,
            connection_limit=CONNECTION_LIMIT,
            header_read_timeout_seconds=IDLE_SECONDS,
        )
    return GracefulServer(
        application,
        grace_seconds=grace_seconds,
        on_worker_exit=connections.close_all,
        **waitress_settings(port, service.name),
    )


def main() -> None:
    exit_on_signals_while_starting()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("service", choices=sorted(SERVICES))
    parser.add_argument("--no-migrate", action="store_true", help="start without running migrations")
    args = parser.parse_args()

    service = SERVICES[args.service]
    folder = service_dir(service)
    if not args.no_migrate:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=folder, check=True)
    # LOAD_DEMO_DATA=1 (set by `make run`): services that have demo data load it; the
    # command adds only what is missing, so it runs on every start but loads once.
    if env_str("LOAD_DEMO_DATA") == "1" and list(folder.glob("*/management/commands/load_demo_data.py")):
        subprocess.run([sys.executable, "manage.py", "load_demo_data"], cwd=folder, check=True)
    # As waitress's runner would: the service's folder is the working directory and on the path.
    os.chdir(folder)
    sys.path.append(str(folder))
    application = importlib.import_module(f"{service.folder}.wsgi").application
    server = server_for(service, application)
    server.stop_on_signals()
    code = server.serve()
    telemetry.shutdown()  # the spans still buffered: os._exit below runs no exit handlers
    logging.shutdown()
    # Not sys.exit: it would wait for the threads of common.background, which may be in an
    # outbox delivery or an email; the dispatcher and the sweeps take those up again.
    os._exit(code)


if __name__ == "__main__":
    main()
