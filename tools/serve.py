"""Start one service: migrate its database, then replace this process with waitress.

    python -m tools.serve book        (HOST and BOOK_SERVICE_PORT say where it listens)

`make run`, docker-compose.yml and the end-to-end tests all start services this way.
With LOAD_DEMO_DATA=1 it also loads the service's demo data, if it has any.

One process per service, WEB_THREADS threads (default 8): a service mostly waits on
its database or on another service, and eight services already outnumber the cores
of a small machine. waitress rather than gunicorn: no arbiter process (26 MB per
service) and less CPU per request, measured in docs/performance.md ("Serving").
More capacity comes from more replicas (deploy/k8s), not more processes per replica.
"""

import argparse
import os
import subprocess
import sys

from common.services import SERVICES
from common.settings import env_int, env_str, service_port
from tools.stack import service_dir


def waitress_command(application: str, port: int, name: str) -> list[str]:
    """waitress serving a WSGI application (module:attribute) on HOST:port, with the
    settings every service runs under."""
    return [
        sys.executable,
        "-m",
        "waitress",
        f"--listen={env_str('HOST', '127.0.0.1')}:{port}",
        f"--threads={env_int('WEB_THREADS', 8)}",
        f"--ident=bookstore-{name}",
        "--channel-timeout=60",  # seconds an idle kept-alive connection stays open
        # Open connections, kept-alive idle ones included (waitress's default, 100, left a
        # burst of 120 clients waiting for idle ones to time out); poll(), not select(),
        # which stops at 1024 file descriptors.
        "--connection-limit=1000",
        "--asyncore-use-poll",
        # Headers over 64 KiB are a 431; bodies over 8 MiB a 413, both refused by waitress
        # before the service reads them (the gateway's own limit, 1 MiB, is lower).
        "--max-request-header-size=65536",
        "--max-request-body-size=8388608",
        # X-Forwarded-* reach the service, which believes them from TRUSTED_PROXIES only
        # (common.forwarded); waitress would drop them all, or trust a single address.
        "--no-clear-untrusted-proxy-headers",
        application,
    ]


def main() -> None:
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
    waitress = waitress_command(f"{service.folder}.wsgi:application", service_port(args.service), service.name)
    os.chdir(folder)
    os.execv(sys.executable, waitress)


if __name__ == "__main__":
    main()
