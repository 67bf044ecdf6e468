"""Benchmark: suggestions as you type, and the filtered, faceted search, at 10,000 and
100,000 books on PostgreSQL (target: suggest p95 at most 15 ms at 100,000).

    .venv/bin/python -m bench.book_suggest
    .venv/bin/python -m bench.book_suggest --databases sqlite,postgres --sizes 10000

Built as bench.book_search (its catalog growing, book_service start and timing), with
the demo catalog loaded first, so "de men" has "Dế Mèn phiêu lưu ký" to find among the
synthetic books. inventory_service is not running (its URL is a closed port): every
book's in_stock is null, and after the first failed call each page goes without asking
for 5 s (catalog/clients/inventory.py), so these times are book_service's own. Results
go to bench/results/book_suggest.{json,md}.
"""

import sys

import requests

from bench.book_search import bench_main, time_requests
from common.registry import SERVICES
from tests.e2e.harness import free_ports


def suggestions(body: dict) -> int:
    return len(body["titles"]) + len(body["authors"])


def measure(base: str, count: int) -> dict:
    suggest, search = f"{base}/api/books/suggest/", f"{base}/api/books/search/"
    with requests.Session() as http:
        category = http.get(f"{base}/api/categories/", params={"name": "synthetic category 1"}).json()["results"][0]
        rows = {
            f"suggest {text!r}": time_requests(http, suggest, {"q": text}, count, found=suggestions)
            for text in ("de men", "dee men", "d", "history", "histry", "mountain rivr")
        }
        filtered = {
            "search history, price 10-200, 1980 on, by price": {
                "search_term": "history",
                "min_price": "10",
                "max_price": "200",
                "published_year_min": "1980",
                "sort": "price",
            },
            "search love, one category, newest": {"search_term": "love", "category": category["id"], "sort": "newest"},
            "search de men (relevance)": {"search_term": "de men"},
        }
        for name, params in filtered.items():
            rows[f"{name}, with facets"] = time_requests(http, search, params, count)
        return rows


def main() -> int:
    # No cache: each request is the database's work, not a cache hit. No inventory: a closed port.
    env = {"CATALOG_CACHE_SECONDS": "0", SERVICES["inventory"].url_var: f"http://127.0.0.1:{free_ports(1)[0]}"}
    return bench_main(
        name="book_suggest",
        doc=__doc__,
        databases="postgres",
        sizes="10000,100000",
        markdown={
            "title": "Suggest and filtered search benchmark",
            "setting": "book_service as `make run` starts it (one waitress process), the catalog cache off "
            "(every request reads the database), inventory not running",
            "column": "results (suggestions: titles and authors, at most 8 each; or the search's count)",
        },
        measure=measure,
        setup=("load_demo_data",),
        env_overrides=env,
    )


if __name__ == "__main__":
    sys.exit(main())
