"""Benchmark: view-cart latency (5.4) with 1, 10 and 50 lines, through the gateway.

    .venv/bin/python -m bench.cart_view                      SQLite and PostgreSQL
    .venv/bin/python -m bench.cart_view --databases sqlite --requests 100

For each database it starts all eight services as the end-to-end suite does (real
processes started by tools/serve.py, fresh databases), makes 50 books and three carts of 1, 10 and
50 lines straight at book_service and cart_service, then times GET
/api/carts/{user_id}/ through the gateway, and to show where the time goes the
same view straight from cart_service and the batch read of book_service it makes;
carts and requests take turns, so all of them share whatever the machine is doing. Every view must come back with
every line priced. The target: the 50-line median within 1.5x of the 1-line one,
since each view is one query and one batched call to book_service whatever its
size. Results go to bench/results/cart_view.{json,md} with the machine they ran on.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.machine import describe, write_results
from tests.e2e.harness import Stack

PG_SERVER = os.environ.get("DATABASE_SERVER_URL", "postgres://postgres@127.0.0.1:5432")
SIZES = (1, 10, 50)
TARGET_RATIO = 1.5


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def make_books(stack: Stack, http: requests.Session, count: int) -> list[int]:
    staff = {"Authorization": f"Bearer {stack.token(user_id=1, is_staff=True)}"}
    book = stack.url("book")
    author = http.post(f"{book}/api/authors/", json={"name": "Bench", "email": "bench@example.com"}, headers=staff)
    category = http.post(f"{book}/api/categories/", json={"name": "Bench"}, headers=staff)
    ids = []
    for number in range(count):
        body = {
            "title": f"Bench book {number}",
            "author_id": author.json()["id"],
            "category_id": category.json()["id"],
            "published_date": "2020-01-01",
            "price": f"{10 + number}.50",
        }
        response = http.post(f"{book}/api/books/", json=body, headers=staff)
        response.raise_for_status()
        ids.append(response.json()["id"])
    return ids


def fill_cart(stack: Stack, http: requests.Session, user_id: int, book_ids: list[int]) -> dict:
    headers = {"Authorization": f"Bearer {stack.token(user_id=user_id)}"}
    items = f"{stack.url('cart')}/api/carts/{user_id}/items/"
    for book_id in book_ids:
        response = http.post(items, json={"product_id": book_id}, headers=headers)
        response.raise_for_status()
    return headers


def timed_get(http: requests.Session, url: str, headers: dict | None = None) -> tuple[float, dict]:
    started = time.perf_counter()
    response = http.get(url, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed, response.json()


def summary(samples: list[float]) -> dict:
    return {"median_ms": round(statistics.median(samples), 2), "p95_ms": round(percentile(samples, 0.95), 2)}


def measure(stack: Stack, count: int) -> dict:
    """The view through the gateway (what the target is about), and, to show where the
    time goes, the same view straight from cart_service and the batch read it makes."""
    paths = {"gateway": "view through the gateway", "cart": "view from cart_service", "book": "book batch read"}
    with requests.Session() as http:
        book_ids = make_books(stack, http, max(SIZES))
        carts = {size: fill_cart(stack, http, size, book_ids[:size]) for size in SIZES}
        samples = {path: {size: [] for size in SIZES} for path in paths}
        for _ in range(10 + count):  # the first 10 rounds warm up connections and caches (dropped below)
            for size, headers in carts.items():
                for path in ("gateway", "cart"):
                    elapsed, body = timed_get(http, f"{stack.url(path)}/api/carts/{size}/", headers)
                    if not body["details_available"] or len(body["items"]) != size:
                        raise RuntimeError(f"the {size}-line cart came back incomplete: {body}")
                    samples[path][size].append(elapsed)
                ids = ",".join(str(book_id) for book_id in book_ids[:size])
                elapsed, _ = timed_get(http, f"{stack.url('book')}/api/books/?ids={ids}")
                samples["book"][size].append(elapsed)
    rows = {
        label: {str(size): summary(by_size[size][10:]) for size in SIZES}
        for label, by_size in ((paths[path], samples[path]) for path in paths)
    }
    view = rows[paths["gateway"]]
    largest, smallest = view[str(max(SIZES))], view[str(min(SIZES))]
    return {
        "rows": rows,
        "ratio_median": round(largest["median_ms"] / smallest["median_ms"], 2),
        "ratio_p95": round(largest["p95_ms"] / smallest["p95_ms"], 2),
    }


def run_database(kind: str, count: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-cart-") as workdir:
        stack = Stack(Path(workdir), database_server=PG_SERVER if kind == "postgres" else None)
        try:
            stack.start()
            load_before = os.getloadavg()[0]
            result = measure(stack, count)
            # Other work on the machine shows in the p95s; the load says how much there was.
            result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            return result
        finally:
            stack.stop()


def write_markdown(report: dict) -> str:
    lines = ["# Cart view benchmark", "", "Written by `python -m bench.cart_view`; do not edit by hand.", ""]
    lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in report["machine"].items()), ""]
    lines += [
        f"GET /api/carts/{{user_id}}/ through the gateway and straight from cart_service, and book_service's "
        f"batch read of the same ids: {report['requests']} of each per cart after 10 warm-up rounds, taking "
        "turns, one client; all eight services as the "
        "end-to-end suite runs them (one waitress process, 8 threads each). Times in ms. Target: the 50-line median "
        f"within {TARGET_RATIO}x of the 1-line median.",
        "",
    ]
    for kind, result in report["databases"].items():
        met = "met" if result["ratio_median"] <= TARGET_RATIO else "NOT met"
        before, after = result["load_average"]
        lines += [f"## {kind}", "", "| lines | request | median | p95 |", "|---|---|---|---|"]
        for label, by_size in result["rows"].items():
            lines += [
                f"| {size} | {label} | {by_size[str(size)]['median_ms']} | {by_size[str(size)]['p95_ms']} |"
                for size in SIZES
            ]
        lines += [
            "",
            f"View through the gateway, 50 lines / 1 line: {result['ratio_median']}x at the median, "
            f"{result['ratio_p95']}x at p95 (target {TARGET_RATIO}x at the median: {met}). "
            f"Machine load average {before} at the start, {after} at the end.",
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    kinds = args.databases.split(",")
    report = {
        "machine": describe(PG_SERVER if "postgres" in kinds else None),
        "requests": args.requests,
        "target_ratio": TARGET_RATIO,
        "databases": {},
    }
    for kind in kinds:
        report["databases"][kind] = run_database(kind, args.requests)
        print(f"{kind}: {json.dumps(report['databases'][kind])}", flush=True)
    write_results("cart_view", report, write_markdown(report))
    met = all(result["ratio_median"] <= TARGET_RATIO for result in report["databases"].values())
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
