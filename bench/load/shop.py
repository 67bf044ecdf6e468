"""The shop the customers act on, prepared through the gateway as people would: a grown
catalog, a stocked warehouse, customers signed up and logged in."""

import contextlib
import json
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.load.replicas import ReplicatedStack
from bench.load.stack import PG_SERVER, BenchStack
from common.demo import DEMO_STAFF
from common.registry import SERVICES
from tests.e2e.harness import Stack
from tools.stack import REPO_DIR

SEARCH_TERMS = ["history", "garden", "river", "the", "tieng viet", "de men", "nam cao", "war", "love", "science"]
PASSWORD = "Quiet-harbor-7319-lantern"  # noqa: S105 (made-up customers of a throwaway database)


def ok(response: requests.Response) -> requests.Response:
    """raise_for_status with the answer's body, which names what went wrong."""
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.method} {response.url}: {response.status_code} {response.text[:500]}")
    return response


def grow_catalog(stack: Stack, count: int) -> None:
    if count > 0:
        subprocess.run(
            [sys.executable, "manage.py", "generate_books", str(count)],
            cwd=REPO_DIR / SERVICES["book"].folder,
            env=stack.env_for("book"),
            check=True,
            capture_output=True,
        )


def login(http: requests.Session, gateway: str, username: str, password: str) -> str:
    response = http.post(f"{gateway}/api/auth/login/", json={"username": username, "password": password})
    ok(response)
    return response.json()["access"]


def stock_shop(gateway: str, staff: dict, stocked: int) -> tuple[list[int], int, dict]:
    """Opens the warehouse with room for every order of the run and stocks the first books."""
    with requests.Session() as http:
        http.headers.update(staff)
        first = http.get(f"{gateway}/api/books/", params={"page_size": 100, "ordering": "id"})
        ok(first)
        page = first.json()
        book_ids = [book["id"] for book in page["results"]][:stocked]
        opened = http.post(f"{gateway}/api/warehouse/", json={"book_quantity": 1_000_000_000})
        if opened.status_code == 409:
            opened = http.patch(f"{gateway}/api/warehouse/", json={"book_quantity": 1_000_000_000})
        ok(opened)
        for book_id in book_ids:
            added = http.post(f"{gateway}/api/warehouse/items/", json={"product_id": book_id, "quantity": 1_000_000})
            ok(added)
        sample = page["results"][0]
        return book_ids, page["count"], {"author_id": sample["author_id"], "category_id": sample["category_id"]}


def sign_up(gateway: str, number: int) -> dict:
    """A customer as a person makes one: account, login, full name, address, customer (and its cart)."""
    username = f"loadcustomer{number}-{uuid.uuid4().hex[:6]}"
    with requests.Session() as http:
        account = http.post(
            f"{gateway}/api/accounts/",
            json={"username": username, "password": PASSWORD, "email": f"{username}@example.com"},
        )
        ok(account)
        http.headers["Authorization"] = f"Bearer {login(http, gateway, username, PASSWORD)}"
        fullname = http.post(f"{gateway}/api/fullnames/", json={"first_name": "Load", "last_name": f"Tester {number}"})
        address = http.post(
            f"{gateway}/api/addresses/", json={"address": f"{number} Bench Street", "city": "Hà Nội", "country": "VN"}
        )
        ok(fullname)
        ok(address)
        body = {"account_id": account.json()["id"], "fullname_id": fullname.json()["id"]}
        customer = http.post(f"{gateway}/api/customers/", json=body | {"address_id": address.json()["id"]})
        ok(customer)
        return {"user_id": account.json()["id"], "access": http.headers["Authorization"].split()[1]}


def prepare_shop(stack: Stack, args) -> dict:
    gateway = stack.gateway
    grow_catalog(stack, args.books)
    with requests.Session() as http:
        staff = {"Authorization": f"Bearer {login(http, gateway, DEMO_STAFF['username'], DEMO_STAFF['password'])}"}
    stocked_ids, book_count, catalog = stock_shop(gateway, staff, args.stocked)
    with ThreadPoolExecutor(max_workers=4) as pool:
        customers = list(pool.map(lambda number: sign_up(gateway, number), range(args.customers + 1)))
    return {
        "customers": customers[1:],
        "tracer": customers[0],  # the customer whose checkout is traced, outside the load
        "staff_access": staff["Authorization"].split()[1],
        "stocked_ids": stocked_ids,
        "book_ids": list(range(min(stocked_ids), min(stocked_ids) + book_count)),
        "book_pages": max(1, book_count // 20),
        "search_terms": SEARCH_TERMS,
        "think_min": args.think_min,
        "think_max": args.think_max,
        **catalog,
    }


@contextlib.contextmanager
def running_shop(name: str, database: str, args) -> Iterator[tuple[BenchStack, Path]]:
    """The stack started on `database` (sqlite or postgres) in a folder of its own, with
    `args.replicas` of every service if more than one (bench.load.replicas), and the shop
    prepared in it and written to a file for locust (BENCH_SHOP); all stopped after."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as workdir_name:
        workdir = Path(workdir_name)
        server = PG_SERVER if database == "postgres" else None
        replicas = getattr(args, "replicas", 1)
        stack = (
            ReplicatedStack(workdir, database_server=server, replicas=replicas)
            if replicas > 1
            else BenchStack(workdir, database_server=server)
        )
        try:
            stack.start()
            shop_file = workdir / "shop.json"
            shop_file.write_text(json.dumps(prepare_shop(stack, args)))
            yield stack, shop_file
        finally:
            stack.stop()
