"""`make run`: every service under waitress, one log stream, Ctrl-C stops them all.

Each process runs under tools/supervise.py, which starts it again when it exits by
itself, so one crash does not make honcho stop the other ten; `make restart
SERVICE=name` (tools/restart.py) restarts one on purpose."""

import errno
import os
import shlex
import socket
import sys
import threading
from pathlib import Path

import requests
from honcho.manager import Manager
from honcho.printer import Printer

from common.demo import DEMO_CUSTOMER, DEMO_STAFF
from common.outbox import DISPATCHING_SERVICES
from common.registry import SERVICES
from common.settings import env_str, service_port
from tools import pg
from tools.demo_stock import stock_demo_catalog
from tools.dev_keys import development_keys
from tools.stack import REPO_DIR, serve_command, wait_ready
from tools.supervise import supervised


def port_problems(host: str) -> list[str]:
    """Binds each port once, as waitress will, so a clash is reported before anything starts."""
    problems = []
    for service in SERVICES.values():
        port = service_port(service.name)
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    why = "is already in use"
                elif exc.errno == errno.EACCES:
                    why = "cannot be bound without root (ports below 1024 are privileged)"
                else:
                    why = f"cannot be bound ({exc.strerror})"
                problems.append(
                    f"{service.folder}: port {port} on {host} {why}; set {service.port_var} to use another port."
                )
    return problems


LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def local_redis() -> dict[str, str]:
    """REDIS_URL for `make run` when the caller set none: a Redis answering on this
    machine's default port, or nothing (each process then caches in its own memory,
    which is right for one process per service)."""
    if env_str("REDIS_URL"):
        return {}
    import redis

    try:
        redis.Redis.from_url(LOCAL_REDIS, socket_connect_timeout=0.2, socket_timeout=0.2).ping()
    except redis.RedisError:
        return {}
    print(f"Caching in the Redis at {LOCAL_REDIS} (REDIS_URL).", flush=True)
    return {"REDIS_URL": LOCAL_REDIS}


def banner(host: str) -> str:
    shown = "localhost" if host in {"127.0.0.1", "0.0.0.0", "::"} else host  # noqa: S104 (only a display name)
    lines = ["", "Bookstore services:"]
    for service in SERVICES.values():
        base = f"http://{shown}:{service_port(service.name)}"
        lines.append(f"  {service.folder:<22} {base}/   docs {base}/api/docs/")
    gateway = f"http://{shown}:{service_port('gateway')}"
    lines += [
        f"Clients use the gateway: {gateway}/api/...   health of all: {gateway}/health/",
        f"Back office (every service's admin, one staff login): {gateway}/admin/",
        f"Demo logins (development only): staff {DEMO_STAFF['username']} / {DEMO_STAFF['password']}, "
        f"customer {DEMO_CUSTOMER['username']} / {DEMO_CUSTOMER['password']}",
        # Each service's port keeps its own /admin/ for direct use; browsers refuse some
        # ports (payment's 6000, X11's), so the back office is the address to give staff.
        "",
    ]
    return "\n".join(lines)


def probe_url(name: str) -> str:
    """Where this machine reaches the service make run started (HOST, its *_PORT)."""
    host = env_str("HOST", "127.0.0.1")
    probe_host = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104
    return f"http://{probe_host}:{service_port(name)}"


def announce_when_ready(host: str) -> None:
    urls = {name: probe_url(name) for name in SERVICES}
    missing = wait_ready(urls, timeout=120)
    if missing:
        print(f"\n*** Not ready after 120 s: {', '.join(missing)} (see their log lines above).\n", flush=True)
    else:
        try:
            print(stock_demo_catalog(urls["gateway"]), flush=True)
        except requests.RequestException as exc:
            print(f"demo stock failed: {exc}", flush=True)
        print(
            banner(host) + "All services are ready. `make restart SERVICE=name` restarts one; Ctrl-C stops them all.\n",
            flush=True,
        )


def main() -> int:
    host = env_str("HOST", "127.0.0.1")
    problems = port_problems(host)
    if problems:
        print("Cannot start the bookstore:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    if server := env_str("DATABASE_SERVER_URL"):
        pg.create_databases(server, [s.database_name for s in SERVICES.values()], exist_ok=True)
    print(banner(host), flush=True)

    manager = Manager(Printer(sys.stdout, colour=sys.stdout.isatty()))
    var_dir = Path(env_str("VAR_DIR", str(REPO_DIR / "var")))
    env = {"LOAD_DEMO_DATA": "1", **development_keys(var_dir), **local_redis(), **os.environ, "PYTHONUNBUFFERED": "1"}
    for name in SERVICES:
        manager.add_process(name, shlex.join(supervised(name, serve_command(name))), env=env, cwd=str(REPO_DIR))
    # Outbox dispatchers: each waits (retrying) until its service has migrated its database.
    for name in DISPATCHING_SERVICES:
        dispatcher = supervised(
            f"{name}-dispatcher", [sys.executable, "manage.py", "dispatch_events"], cwd=REPO_DIR / SERVICES[name].folder
        )
        manager.add_process(f"{name}-dispatcher", shlex.join(dispatcher), env=env, cwd=str(REPO_DIR))
    threading.Thread(target=announce_when_ready, args=(host,), daemon=True).start()
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
