"""Benchmark: what the WSGI server itself costs, for choosing how services are served.

    .venv/bin/python -m bench.servers             (needs wrk: apt-get install wrk;
    .venv/bin/python -m bench.servers --seconds 3  gunicorn and granian: make bench installs them)

For each server, as tools/serve.py would configure it for one service (one process
or worker, 8 threads): a three-line WSGI app answered at 1 connection by wrk (median
latency and the server's CPU time per request: the floor under every request of
every service), and book_service started under it, idle after 50 requests (the
resident memory of all its processes). gunicorn runs as the services ran before
(gthread) with 1 worker and with 2. Results, with the machine, go to
bench/results/servers.{json,md}; docs/performance.md ("Serving") reads them.
"""

import argparse
import os
import signal
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
        "waitress": [*python, "waitress", f"--listen={listen}", "--threads=8", "--asyncore-use-poll", app],
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
    }[server]


SERVERS = ("waitress", "gunicorn, 1 worker", "gunicorn, 2 workers", "granian")


def processes_of(process: subprocess.Popen) -> list[psutil.Process]:
    root = psutil.Process(process.pid)
    return [root, *root.children(recursive=True)]


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=15)


def hello(server: str, port: int, seconds: int, folder: Path) -> dict:
    command = server_command(server, port, "hello:application")
    process = subprocess.Popen(
        command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 20
        while subprocess.run(["curl", "-sf", url], capture_output=True).returncode and time.monotonic() < deadline:
            time.sleep(0.2)
        row = run_wrk(url, 1, seconds, {"server": process})
    finally:
        stop(process)
    return {"median_ms": row["median_ms"], "cpu_ms_per_request": row["cpu_ms_per_request"]["server"]}


def book_service_memory(server: str, port: int, env: dict) -> dict:
    folder = REPO_DIR / "book_service"
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=folder, env=env, check=True)
    process = subprocess.Popen(
        server_command(server, port, "book_service.wsgi:application"),
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        if wait_ready({"book": base}, timeout=60):
            raise RuntimeError(f"book_service did not start under {server}")
        for _ in range(50):
            urllib.request.urlopen(f"{base}/api/books/?page=1").read()  # noqa: S310 (our own URL)
        time.sleep(1)
        processes = processes_of(process)
        infos = [p.memory_full_info() for p in processes]
    finally:
        stop(process)
    return {
        "processes": len(processes),
        "rss_mb": round(sum(i.rss for i in infos) / 2**20, 1),
        "pss_mb": round(sum(i.pss for i in infos) / 2**20, 1),
    }


def write_markdown(report: dict) -> str:
    lines = ["# WSGI servers benchmark", "", "Written by `python -m bench.servers`; do not edit by hand.", ""]
    lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in report["machine"].items()), ""]
    lines += [
        f"hello: a three-line WSGI app, wrk at 1 connection for {report['seconds']} s after a 1 s warm-up; CPU is "
        "the server's processes' user + system time over the requests. book_service: SQLite, idle after 50 "
        "requests for a catalog page, all its processes.",
        "",
        "| server | hello median (ms) | hello CPU per request (ms) | book_service processes | RSS (MB) | PSS (MB) |",
        "|---|---|---|---|---|---|",
    ]
    for server, row in report["servers"].items():
        h, m = row["hello"], row["book_service"]
        lines.append(
            f"| {server} | {h['median_ms']} | {h['cpu_ms_per_request']} | {m['processes']} | {m['rss_mb']} | "
            f"{m['pss_mb']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    if missing_tools(("wrk", "curl"), "apt-get install wrk curl"):
        return 2
    report = {"machine": describe(), "seconds": args.seconds, "servers": {}}
    with tempfile.TemporaryDirectory(prefix="bench-servers-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "hello.py").write_text(HELLO)
        env = os.environ | development_keys(tmp) | {"VAR_DIR": str(tmp), "LOG_LEVEL": "WARNING"}
        env.pop("DATABASE_URL", None)
        env.pop("DATABASE_SERVER_URL", None)
        for server in SERVERS:
            port, book_port = free_ports(2)
            row = {"hello": hello(server, port, args.seconds, tmp)}
            row["book_service"] = book_service_memory(server, book_port, env)
            report["servers"][server] = row
            print(f"{server}: {row}", flush=True)
    write_results("servers", report, write_markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
