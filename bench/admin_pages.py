"""Benchmark: the server time of the admin pages staff open most (the order list, the
stock list and the book list) with 10 and with 100 rows.

    .venv/bin/python -m bench.admin_pages
    .venv/bin/python -m bench.admin_pages --rounds 100

Each service runs in a process of its own (its settings, a fresh SQLite database in a
temporary folder, migrated), and serves its list page to a logged-in staff user through
Django's test client: the time is Django's whole handling of the request (middleware,
the admin, the template), with no network in front of it. The peer that names the rows
(customer_service for the orders' customers, book_service for the stock's books) is a
small HTTP server on a local port answering the batch read, so the page's one call is a
real HTTP call. Every page is asked 10 times to warm up, then `--rounds` times; the
median and p95 are kept, with the SQL queries and peer calls of one request. The
target: the same number of queries and calls for 100 rows as for 10, whatever the page
size. Results go to bench/results/admin_pages.{json,md} with the machine they ran on.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from decimal import Decimal
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from bench.machine import describe, write_results
from tests.e2e.stand_ins import QuietHandler
from tools.stack import REPO_DIR

SIZES = (10, 100)
PAGES = {  # service folder: (what, the page)
    "order_service": ("order list", "/admin/orders/order/"),
    "inventory_service": ("stock list", "/admin/stock/stockitem/"),
    "book_service": ("book list", "/admin/catalog/book/"),
}


# The peers' batch reads, as a local HTTP server


class PeerNames(QuietHandler):
    calls = 0

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path == "/calls/":  # how many batch reads so far (the worker asks)
            self.reply(json.dumps({"calls": type(self).calls}).encode())
            return
        ids = [int(i) for i in parse_qs(url.query)["ids"][0].split(",")]
        type(self).calls += 1
        if url.path == "/api/accounts/":
            results = [{"id": i, "username": f"reader{i}"} for i in ids]
        else:
            results = [{"id": i, "title": f"Book {i}", "price": "10.00"} for i in ids]
        self.reply(json.dumps({"count": len(results), "results": results, "missing_ids": []}).encode())


# In the worker process: one service, its rows, its page timed


def make_rows(folder: str, start: int, stop: int) -> None:
    """Rows start..stop-1 of the page's model, as the service's own code would leave them."""
    if folder == "order_service":
        from orders.models import Order, OrderLine, OrderStatusChange

        orders = Order.objects.bulk_create(
            Order(user_id=n, status="paid", total=Decimal("20.00"), reservation_reference=f"bench-{n}")
            for n in range(start, stop)
        )
        OrderLine.objects.bulk_create(
            OrderLine(order=o, product_id=1, title="Book 1", unit_price=Decimal("10"), quantity=2, line_total=20)
            for o in orders
        )
        OrderStatusChange.objects.bulk_create(
            OrderStatusChange(order=o, to_status="paid", changed_by="bench") for o in orders
        )
    elif folder == "inventory_service":
        from stock import services
        from stock.models import StockItem, Warehouse

        warehouse = Warehouse.objects.filter(is_default=True).first() or services.warehouse_create()
        StockItem.objects.bulk_create(
            StockItem(warehouse=warehouse, product_id=n, available=n % 7) for n in range(start, stop)
        )
    else:
        import datetime

        from catalog import services
        from catalog.models import Author, Category

        for n in range(start, stop):
            author = Author.objects.filter(name=f"Author {n % 9}").first() or services.author_create(
                name=f"Author {n % 9}", email=f"author{n % 9}@example.com"
            )
            category = Category.objects.filter(name=f"Category {n % 5}").first() or services.category_create(
                name=f"Category {n % 5}"
            )
            services.book_create(
                title=f"Book {n}",
                author_id=author.pk,
                category_id=category.pk,
                published_date=datetime.date(2020, 1, 1),
                price=Decimal("10.50"),
            )


def peer_calls() -> int:
    with urllib.request.urlopen(f"{os.environ['BOOK_SERVICE_URL']}/calls/") as answer:  # noqa: S310 (our stub)
        return int(json.load(answer)["calls"])


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def worker(folder: str, rounds: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # Not setup_test_environment(): its instrumented template rendering would be timed too.
    call_command("migrate", verbosity=0)
    staff = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-password-1")
    client = Client(SERVER_NAME="localhost")
    client.force_login(staff)
    what, page = PAGES[folder]
    result: dict = {"page": what, "path": page, "sizes": {}}
    made = 1
    for size in SIZES:
        make_rows(folder, made, size + 1)
        made = size + 1
        for _ in range(10):  # warm-up: templates, connections, the peer's keep-alive
            assert client.get(page).status_code == 200
        before = peer_calls()
        connection.queries_log.clear()  # the log is cleared as each request starts
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page)
        calls, query_count = peer_calls() - before, len(queries)  # read now: each request clears the log
        assert response.status_code == 200
        shown = response.content.decode().count('name="_selected_action"')  # a checkbox per row
        assert shown == size, f"{what}: {shown} rows shown, not {size}"
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            client.get(page)
            samples.append((time.perf_counter() - started) * 1000)
        result["sizes"][str(size)] = {
            "median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(percentile(samples, 0.95), 2),
            "queries": query_count,
            "peer_calls": calls,
        }
    return result


def run_service(folder: str, rounds: int, peer_url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-admin-") as workdir:
        env = os.environ | {
            "DJANGO_SETTINGS_MODULE": f"{folder}.settings",
            "DATABASE_URL": f"sqlite:///{Path(workdir) / 'bench.sqlite3'}",
            "CUSTOMER_SERVICE_URL": peer_url,
            "BOOK_SERVICE_URL": peer_url,
            "LOG_LEVEL": "WARNING",
            "SWEEP_SECONDS": "0",
            "OUTBOX_FAST_PATH": "false",
        }
        done = subprocess.run(
            [sys.executable, "-m", "bench.admin_pages", "--worker", folder, "--rounds", str(rounds)],
            cwd=REPO_DIR / folder,
            env=env | {"PYTHONPATH": str(REPO_DIR)},
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise RuntimeError(f"{folder}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_markdown(report: dict) -> str:
    lines = ["# Admin pages benchmark", "", "Written by `python -m bench.admin_pages`; do not edit by hand.", ""]
    lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in report["machine"].items()), ""]
    lines += [
        "The server time of each list page with 10 and 100 rows: Django's whole handling of the request in its "
        "service's process (test client, staff user, SQLite in WAL mode), the peer that names the rows a local "
        f"HTTP server answering the batch read. {report['rounds']} requests per page and size after 10 warm-up "
        "requests. Times in ms; queries and peer calls of one request. Target: as many queries and calls for 100 "
        "rows as for 10.",
        "",
        "| page | rows | median | p95 | SQL queries | peer calls |",
        "|---|---|---|---|---|---|",
    ]
    for result in report["pages"]:
        for size, row in result["sizes"].items():
            lines.append(
                f"| {result['page']} (`{result['path']}`) | {size} | {row['median_ms']} | {row['p95_ms']} | "
                f"{row['queries']} | {row['peer_calls']} |"
            )
    met = "met" if report["bounded"] else "NOT met"
    before, after = report["load_average"]
    lines += [
        "",
        f"Queries and peer calls the same for 100 rows as for 10 on every page: {met}. What grows with the rows is "
        "the admin's rendering of them: the book list, which calls no peer, grows as much as the two that do. "
        f"Other work on the machine shows in the p95s: load average {before} at the start, {after} at the end.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.rounds)))
        return 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), PeerNames)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    peer_url = f"http://127.0.0.1:{server.server_address[1]}"
    load_before = os.getloadavg()[0]
    try:
        pages = [run_service(folder, args.rounds, peer_url) for folder in PAGES]
    finally:
        server.shutdown()
    bounded = all(
        page["sizes"]["10"]["queries"] == page["sizes"]["100"]["queries"]
        and page["sizes"]["10"]["peer_calls"] == page["sizes"]["100"]["peer_calls"]
        for page in pages
    )
    report = {
        "machine": describe(),
        "rounds": args.rounds,
        "pages": pages,
        "bounded": bounded,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    for page in pages:
        print(f"{page['page']}: {json.dumps(page['sizes'])}", flush=True)
    write_results("admin_pages", report, write_markdown(report))
    return 0 if bounded else 1


if __name__ == "__main__":
    sys.exit(main())
