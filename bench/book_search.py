"""Benchmark: book search and batch read latency at 1,000 / 10,000 / 100,000 books.

    .venv/bin/python -m bench.book_search                      SQLite and PostgreSQL
    .venv/bin/python -m bench.book_search --databases sqlite --sizes 1000,10000

For each database and size it grows one catalog with `generate_books`, starts
book_service (tools/serve.py, as `make run` starts it) and times sequential HTTP requests
from one client: a search for a common word, a rare word, an author's name and a
book id, and a batch read of 50 ids. Medians and 95th percentiles go to
bench/results/book_search.{json,md} with the machine they ran on.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from bench.machine import describe, write_results
from common.registry import SERVICES
from tests.e2e.harness import free_ports
from tools import pg
from tools.dev_keys import development_keys
from tools.stack import REPO_DIR, serve_command, wait_ready

BOOK_DIR = REPO_DIR / "book_service"
PG_SERVER = os.environ.get("DATABASE_SERVER_URL", "postgres://postgres@127.0.0.1:5432")


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BOOK_DIR, env=env, check=True)


def vacuum_analyze(env: dict) -> None:
    """What autovacuum does soon after a bulk load: fresh planner statistics and, on
    PostgreSQL, the GIN indexes' pending lists merged (until then every trigram search
    scans the rows inserted since, a cost that grows with the load)."""
    code = (
        "from django.db import connection\n"
        "connection.cursor().execute('VACUUM ANALYZE' if connection.vendor == 'postgresql' else 'ANALYZE')"
    )
    manage(env, "shell", "-c", code)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def counted(body: dict) -> int:
    return body["count"]


def time_requests(
    http: requests.Session, url: str, params: dict, count: int, found: Callable[[dict], int] = counted
) -> dict:
    """Median and p95 of `count` sequential requests; `found` reads how many results an answer has."""
    for _ in range(10):  # warm-up: connections, caches, lazy imports
        http.get(url, params=params).raise_for_status()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = http.get(url, params=params)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "results": found(response.json()),
        "results_exact": response.json().get("count_exact", True),  # search counts stop at a cap
    }


def measure(base: str, count: int) -> dict:
    with requests.Session() as http:
        books = http.get(f"{base}/api/books/", params={"page_size": 50}).json()["results"]
        author = books[0]["author_name"]  # an author who has books
        ids = ",".join(str(book["id"]) for book in books)
        search = f"{base}/api/books/search/"
        return {
            "search common word (history)": time_requests(http, search, {"search_term": "history"}, count),
            "search rare word (zephyrine)": time_requests(http, search, {"search_term": "zephyrine"}, count),
            f"search author name ({author})": time_requests(http, search, {"search_term": author}, count),
            "search id (500)": time_requests(http, search, {"search_term": "500"}, count),
            "batch read 50 ids": time_requests(http, f"{base}/api/books/", {"ids": ids}, count),
        }


def run_database(
    kind: str,
    sizes: list[int],
    count: int,
    workdir: Path,
    measure: Callable[[str, int], dict] = measure,
    setup: tuple[str, ...] = (),
    env_overrides: dict[str, str] | None = None,
) -> dict:
    """`measure(base_url, count)` at each size; `setup`: a manage.py command run once
    after the migrations; `env_overrides`: more of book_service's environment."""
    env = {**development_keys(workdir), **os.environ, "VAR_DIR": str(workdir), **(env_overrides or {})}
    env["LOG_LEVEL"] = "WARNING"
    env.pop("DATABASE_SERVER_URL", None)
    database = f"bench_book_{os.getpid()}"
    if kind == "postgres":
        pg.create_databases(PG_SERVER, [database], exist_ok=False)
        env["DATABASE_URL"] = f"{PG_SERVER}/{database}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench_book.sqlite3'}"
    results = {}
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        if setup:
            manage(env, *setup)
        loaded = 0
        for size in sizes:
            manage(env, "generate_books", str(size - loaded))
            loaded = size
            vacuum_analyze(env)
            port = free_ports(1)[0]
            service_env = {**env, SERVICES["book"].port_var: str(port), "HOST": "127.0.0.1"}
            log = (workdir / f"book-{kind}-{size}.log").open("wb")
            server = subprocess.Popen(
                [*serve_command("book"), "--no-migrate"], cwd=REPO_DIR, env=service_env, stdout=log, stderr=log
            )
            try:
                base = f"http://127.0.0.1:{port}"
                if wait_ready({"book": base}, timeout=60):
                    raise RuntimeError(f"book_service did not start; see {log.name}")
                results[str(size)] = measure(base, count)
                print(f"{kind} {size}: {json.dumps(results[str(size)])}", flush=True)
            finally:
                server.terminate()
                server.wait(timeout=15)
                log.close()
    finally:
        if kind == "postgres":
            pg.drop_databases(PG_SERVER, [database])
    return results


def write_markdown(report: dict, *, name: str, title: str, setting: str, column: str) -> str:
    """`setting`: how book_service ran, after "one client, "; `column`: what results counts."""
    lines = [f"# {title}", "", f"Written by `python -m bench.{name}`; do not edit by hand.", ""]
    lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in report["machine"].items()), ""]
    lines += [
        f"{report['requests']} sequential requests per row after 10 warm-up requests, one client, {setting}; "
        "times in ms.",
        "",
    ]
    for kind, by_size in report["databases"].items():
        lines += [f"## {kind}", "", f"| books | request | median | p95 | {column} |", "|---|---|---|---|---|"]
        for size, rows in by_size.items():
            for request, row in rows.items():
                results = f"{row['results']}{'' if row['results_exact'] else ' or more'}"
                lines.append(f"| {int(size):,} | {request} | {row['median_ms']} | {row['p95_ms']} | {results} |")
        lines += ["", *growth_table(by_size), ""]
    return "\n".join(lines)


def growth_table(by_size: dict) -> list[str]:
    """p95 at the largest size over p95 at the size ten times smaller, per request."""
    sizes = sorted(by_size, key=int)
    pairs = [(small, large) for small in sizes for large in sizes if int(large) == 10 * int(small)]
    if not pairs:
        return []
    small, large = pairs[-1]
    lines = [f"Growth of p95 from {int(small):,} to {int(large):,} books:", "", "| request | ratio |", "|---|---|"]
    for name, row in by_size[large].items():
        lines.append(f"| {name} | {row['p95_ms'] / by_size[small][name]['p95_ms']:.2f}x |")
    return lines


def bench_main(*, name: str, doc: str, databases: str, sizes: str, markdown: dict[str, str], **run_options: Any) -> int:
    """A catalog benchmark's command line, runs and results (bench/results/<name>.*);
    `run_options` go to run_database, `markdown` to write_markdown."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--databases", default=databases)
    parser.add_argument("--sizes", default=sizes)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    kinds = args.databases.split(",")
    report = {
        "machine": describe(PG_SERVER if "postgres" in kinds else None),
        "requests": args.requests,
        "databases": {},
    }
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        for kind in kinds:
            sorted_sizes = sorted(int(s) for s in args.sizes.split(","))
            report["databases"][kind] = run_database(kind, sorted_sizes, args.requests, Path(tmp), **run_options)
    write_results(name, report, write_markdown(report, name=name, **markdown))
    return 0


def main() -> int:
    return bench_main(
        name="book_search",
        doc=__doc__,
        databases="sqlite,postgres",
        sizes="1000,10000,100000",
        markdown={
            "title": "Book search benchmark",
            "setting": "book_service as `make run` starts it (one waitress process)",
            "column": "matches",
        },
    )


if __name__ == "__main__":
    sys.exit(main())
