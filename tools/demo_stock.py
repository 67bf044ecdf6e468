"""Demo stock, through the real API: once every service is ready, the demo staff
login creates the default warehouse and stocks each catalog book, so a demo
customer can check out. Only when it creates the warehouse, so a restart does not
add stock again. `make run` calls it; `python -m tools.demo_stock [gateway URL]`
does it by hand."""

import sys

import requests

from common.demo import DEMO_STAFF

UNITS_PER_BOOK = 25


def stock_demo_catalog(gateway: str, timeout: float = 10) -> str:
    """What it did, in a line for the log."""
    with requests.Session() as http:
        login = http.post(
            f"{gateway}/api/auth/login/",
            json={"username": DEMO_STAFF["username"], "password": DEMO_STAFF["password"]},
            timeout=timeout,
        )
        if login.status_code != 200:
            return f"demo stock skipped: the demo staff login answered {login.status_code}"
        http.headers["Authorization"] = f"Bearer {login.json()['access']}"
        created = http.post(f"{gateway}/api/warehouse/", json={}, timeout=timeout)
        if created.status_code == 409:
            return "demo stock: the warehouse exists already; nothing added"
        created.raise_for_status()
        books = http.get(f"{gateway}/api/books/", params={"page_size": 100}, timeout=timeout)
        books.raise_for_status()
        for book in books.json()["results"]:
            added = http.post(
                f"{gateway}/api/warehouse/items/",
                json={"product_id": book["id"], "quantity": UNITS_PER_BOOK},
                timeout=timeout,
            )
            added.raise_for_status()
        return f"demo stock: warehouse created, {UNITS_PER_BOOK} units of each of {len(books.json()['results'])} books"


if __name__ == "__main__":
    print(stock_demo_catalog(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:1000"))
