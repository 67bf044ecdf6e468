"""Benchmark: what the WSGI server itself costs, for choosing how services are served.

    .venv/bin/python -m bench.servers             (needs wrk: apt-get install wrk;
    .venv/bin/python -m bench.servers --rounds 5   gunicorn and granian: make bench installs them)

For each server, as tools/serve.py would configure it for one service (one process
or worker, 8 threads): wrk at 1 and at 16 connections against a three-line WSGI app
(the floor under every request of every service) and against book_service's catalog
page on SQLite (empty, so mostly the framework), with the server's CPU time per
request (all its processes); and book_service's resident memory, idle after 50
requests. waitress runs as the services do (tools/graceful.py); gunicorn as the
services ran before (gthread) with 1 worker and with 2; granian with its own runner
(a supervisor and a worker) and its worker alone in one process
(bench/inprocess_server.py). The servers take turns within each round; the table
has each number's median over the rounds. Results, with the machine, go to
bench/results/servers.{json,md}; docs/performance.md ("Serving") reads them.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

from bench.machine import describe, write_results
from bench.wrk import missing_tools, run_wrk
from tests.e2e.harness import free_ports
from tools.dev_keys import development_keys
from tools.stack import REPO_DIR, wait_ready

HELLO = """def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
"""


def server_command(server: str, port: int, app: str) -> list[str]:
    python = [sys.executable, "-m"]
    listen = f"127.0.0.1:{port}"
    return {
        "waitress": [*python, "bench.inprocess_server", "waitress", str(port), app],
        "gunicorn, 1 worker": [*python, "gunicorn", "-b", listen, "-k", "gthread", "-w", "1", "--threads", "8", app],
        "gunicorn, 2 workers": [*python, "gunicorn", "-b", listen, "-k", "gthread", "-w", "2", "--threads", "4", app],
        "granian": [
            *python,
            "granian",
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--blocking-threads",
            "8",
            app,
        ],
        "granian, worker in-process": [*python, "bench.inprocess_server", "granian", str(port), app],
    }[server]


SERVERS = ("waitress", "gunicorn, 1 worker", "gunicorn, 2 workers", "granian", "granian, worker in-process")
CONNECTIONS = (1, 16)
BOOK_PAGE = "/api/books/?page=1"


def processes_of(process: subprocess.Popen) -> list[psutil.Process]:
    root = psutil.Process(process.pid)
    return [root, *root.children(recursive=True)]


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=15)


def start(server: str, port: int, app: str, folder: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        server_command(server, port, app),
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def cpu_per_request(url: str, seconds: int, process: subprocess.Popen) -> dict:
    """The server's CPU time per request (ms) at each number of connections."""
    return {
        str(connections): run_wrk(url, connections, seconds, {"server": process})["cpu_ms_per_request"]["server"]
        for connections in CONNECTIONS
    }


def hello(server: str, port: int, seconds: int, folder: Path, env: dict) -> dict:
    process = start(server, port, "hello:application", folder, env)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 20
        while subprocess.run(["curl", "-sf", url], capture_output=True).returncode and time.monotonic() < deadline:
            time.sleep(0.2)
        return cpu_per_request(url, seconds, process)
    finally:
        stop(process)


def book_service(server: str, port: int, seconds: int, env: dict) -> dict:
    """Memory idle after 50 requests for a catalog page, then CPU per request for it."""
    process = start(server, port, "book_service.wsgi:application", REPO_DIR / "book_service", env)
    try:
        base = f"http://127.0.0.1:{port}"
        if wait_ready({"book": base}, timeout=60):
            raise RuntimeError(f"book_service did not start under {server}")
        for _ in range(50):
            urllib.request.urlopen(base + BOOK_PAGE).read()  # noqa: S310 (our own URL)
        time.sleep(1)
        processes = processes_of(process)
        infos = [p.memory_full_info() for p in processes]
        cpu = cpu_per_request(base + BOOK_PAGE, seconds, process)
    finally:
        stop(process)
    return {
        "processes": len(processes),
        "rss_mb": round(sum(i.rss for i in infos) / 2**20, 1),
        "pss_mb": round(sum(i.pss for i in infos) / 2**20, 1),
        "cpu_ms_per_request": cpu,
    }


def medians(rounds: list[dict]) -> dict:
    """The rounds' rows (nested dicts of numbers) as one row of medians."""
    first = rounds[0]
    if isinstance(first, dict):
        return {key: medians([row[key] for row in rounds]) for key in first}
    return round(statistics.median(rounds), 3)


def write_markdown(report: dict) -> str:
    lines = ["# WSGI servers benchmark", "", "Written by `python -m bench.servers`; do not edit by hand.", ""]
    lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in report["machine"].items()), ""]
    lines += [
        f"The server's CPU per request (ms: its processes' user + system time over the requests) under wrk at 1 "
        f"and 16 connections, {report['seconds']} s each after a 1 s warm-up: hello, a three-line WSGI app; "
        f"book, book_service's `{BOOK_PAGE}` on SQLite. book_service's memory: idle after 50 requests for that "
        f"page, all its processes. Medians of {report['rounds']} rounds, the servers taking turns.",
        "",
        "| server | hello, 1 | hello, 16 | book, 1 | book, 16 | book_service processes | RSS (MB) | PSS (MB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for server, row in report["servers"].items():
        h, b = row["hello"], row["book_service"]
        cpu = b["cpu_ms_per_request"]
        lines.append(
            f"| {server} | {h['1']} | {h['16']} | {cpu['1']} | {cpu['16']} | {b['processes']} | {b['rss_mb']} | "
            f"{b['pss_mb']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if missing_tools(("wrk", "curl"), "apt-get install wrk curl"):
        return 2
    rounds: dict[str, list[dict]] = {server: [] for server in SERVERS}
    with tempfile.TemporaryDirectory(prefix="bench-servers-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "hello.py").write_text(HELLO)
        env = os.environ | development_keys(tmp) | {"VAR_DIR": str(tmp), "LOG_LEVEL": "WARNING"}
        env["PYTHONPATH"] = str(REPO_DIR)  # bench.inprocess_server, from the app's folder
        env.pop("DATABASE_URL", None)
        env.pop("DATABASE_SERVER_URL", None)
        folder = REPO_DIR / "book_service"
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=folder, env=env, check=True)
        for number in range(1, args.rounds + 1):
            for server in SERVERS:
                port, book_port = free_ports(2)
                row = {
                    "hello": hello(server, port, args.seconds, tmp, env),
                    "book_service": book_service(server, book_port, args.seconds, env),
                }
                rounds[server].append(row)
                print(f"round {number}, {server}: {row}", flush=True)
    report = {
        "machine": describe(),
        "seconds": args.seconds,
        "rounds": args.rounds,
        "servers": {server: medians(rows) for server, rows in rounds.items()},
    }
    write_results("servers", report, write_markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
