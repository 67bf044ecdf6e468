"""Start one service: migrate its database, then replace this process with gunicorn.

    python -m tools.serve book        (HOST and BOOK_SERVICE_PORT say where it listens)

`make run`, docker-compose.yml and the end-to-end tests all start services this way.
With LOAD_DEMO_DATA=1 it also loads the service's demo data, if it has any.
"""

import argparse
import os
import subprocess
import sys

from common.services import SERVICES
from common.settings import env_str, service_port
from tools.stack import service_dir


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
    bind = f"{env_str('HOST', '127.0.0.1')}:{service_port(args.service)}"
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "python:common.gunicorn_conf", "--chdir", str(folder)]
    gunicorn += ["--bind", bind, "--name", f"bookstore-{service.name}", f"{service.folder}.wsgi:application"]
    os.execv(sys.executable, gunicorn)


if __name__ == "__main__":
    main()
