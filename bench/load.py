"""Load benchmark: the whole shop under many customers, through the gateway (`make bench`).

    .venv/bin/python -m bench.load                                   SQLite and PostgreSQL, the issue's sizes
    .venv/bin/python -m bench.load --databases sqlite --customers 8 --duration 20 --ceiling-duration 5
    .venv/bin/python -m bench.load --databases postgres --profile order,book   py-spy on their processes

For each database it starts all eight services and the outbox dispatchers with the
settings of `make run` (tools.serve: one waitress process per service, WEB_THREADS
from the environment or its default, the demo data), on free
ports with fresh databases, so a running `make run` is not disturbed. The one
difference: the gateway's rate limits are raised, since every simulated customer
comes from one address and writes far more than the per-user limit allows.

Then, in order:
1. the catalog grows to --books synthetic books (book_service's generate_books), the
   demo staff login opens the warehouse and stocks --stocked books, and --customers
   customers sign up, log in and become customers, all through the gateway;
2. the resident memory of every service (its process) is read idle;
3. one checkout and one payment are sent with known X-Request-IDs, and the access-log
   lines carrying them in every service but the gateway are the calls between
   services they caused (event deliveries included, which carry the id on);
4. locust (headless) runs the customers of bench/locustfile.py and one staff user
   for --duration seconds, while the memory of every service is sampled each second
   (its peak is kept) and, with --profile, py-spy records the processes of the services named;
5. the ceiling: locust runs the same number of users, without think time, against
   book_service's /health/ (no database) for --ceiling-duration seconds.

Results go to bench/results/load.{json,md} with the machine, its load average and the
settings; docs/performance.md summarises them. The exit status is 1 when a target of
the issue is missed on PostgreSQL (zero errors, checkout p95 under 300 ms, all eight
services under 600 MB resident idle).
"""

import argparse
import contextlib
import csv
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import psycopg
import requests

from bench.machine import describe
from common.demo import DEMO_STAFF
from common.services import SERVICES
from tests.e2e.harness import Stack
from tools.stack import REPO_DIR

RESULTS = REPO_DIR / "bench" / "results"
PG_SERVER = os.environ.get("DATABASE_SERVER_URL", "postgres://postgres@127.0.0.1:5432")
LOCUST = Path(sys.executable).with_name("locust")
PY_SPY = Path(sys.executable).with_name("py-spy")
MB = 2**20
# Targets of the issue, on PostgreSQL.
CHECKOUT_P95_MS = 300
IDLE_MEMORY_MB = 600
# What the benchmark takes from the end-to-end harness's environment: where each
# service listens, its folder and database, and keys. The rest the harness sets is for
# tests (one worker, short timeouts, fast outbox and email retries, a test mail server)
# and is left out, so the services run with `make run`'s settings or the caller's.
HARNESS_SETTINGS = {
    "HOST",
    "VAR_DIR",
    "DATABASE_URL",
    "PYTHONUNBUFFERED",
    "SECRET_KEY",
    "JWT_SIGNING_KEY",
    *(service.port_var for service in SERVICES.values()),
}
RAISED_RATE_LIMITS = {
    "GATEWAY_RATE_SIGNUP": "100000/min",
    "GATEWAY_RATE_LOGIN": "100000/min",
    "GATEWAY_RATE_WRITES": "100000/min",
}
SEARCH_TERMS = ["history", "garden", "river", "the", "tieng viet", "de men", "nam cao", "war", "love", "science"]
PASSWORD = "Quiet-harbor-7319-lantern"  # noqa: S105 (made-up customers of a throwaway database)
CARD_OK = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "cvc": "737"}


class BenchStack(Stack):
    """The end-to-end harness's stack (free ports, fresh databases, process groups),
    with `make run`'s settings instead of the suite's."""

    def env_for(self, name: str) -> dict[str, str]:
        harness = super().env_for(name)
        env = {"LOAD_DEMO_DATA": "1"}
        env |= {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "DATABASE_SERVER_URL"}}
        env |= {key: value for key, value in harness.items() if key in HARNESS_SETTINGS}
        return env | RAISED_RATE_LIMITS

    def serving_settings(self) -> dict[str, str]:
        env = self.env_for("gateway")
        return {
            "WEB_THREADS": env.get("WEB_THREADS", "8 (default)"),
            **RAISED_RATE_LIMITS,
        }


# ---- memory ----------------------------------------------------------------


def process_group(stack: Stack, name: str) -> list[psutil.Process]:
    """The service's process (tools.serve execs waitress in place), with any children."""
    try:
        master = psutil.Process(stack.processes[name].pid)
        return [master, *master.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def memory_of(processes: list[psutil.Process]) -> dict[str, float]:
    rss = pss = 0
    for process in processes:
        try:
            info = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return {"rss_mb": round(rss / MB, 1), "pss_mb": round(pss / MB, 1), "processes": len(processes)}


def memory_snapshot(stack: Stack) -> dict[str, dict]:
    return {name: memory_of(process_group(stack, name)) for name in stack.processes}


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


def database_sessions(stack: Stack) -> dict[str, int]:
    """PostgreSQL's count of the connections ever opened to each service's database."""
    if not stack.database_server:
        return {}
    names = {stack._database_name(name): name for name in SERVICES}
    with psycopg.connect(f"{stack.database_server.rstrip('/')}/postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT datname, sessions FROM pg_stat_database WHERE datname = ANY(%s)", [list(names)])
        return {names[datname]: sessions for datname, sessions in rows}


def database_connections(stack: Stack) -> tuple[int, int]:
    """(connections the stack's services hold now, the server's max_connections): the
    server is shared, and a full one refuses new connections, which services answer 500."""
    if not stack.database_server:
        return 0, 0
    names = [stack._database_name(name) for name in SERVICES]
    with psycopg.connect(f"{stack.database_server.rstrip('/')}/postgres", autocommit=True) as conn:
        held = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = ANY(%s)", [names]).fetchone()[0]
        return held, int(conn.execute("SHOW max_connections").fetchone()[0])


def logged_errors(stack: Stack, top: int = 10) -> list[list]:
    """The exceptions in the services' logs (the last line of each traceback), most
    frequent first, so the failures of a run come with their cause."""
    found = Counter()
    for name in stack.processes:
        previous_indented = False
        for line in stack.log_path(name).read_text(errors="replace").splitlines():
            starts_flush = not line.startswith((" ", "\t"))
            if previous_indented and starts_flush and ("Error" in line or "Exception" in line):
                found[f"{name}: {line[:300]}"] += 1
            previous_indented = line.startswith("  ")
    return [[error, count] for error, count in found.most_common(top)]


class LoadWatcher(threading.Thread):
    """While the load runs: every process group's memory each second (the peak is kept),
    and the CPU time each group and the whole machine spent, to see where it went."""

    def __init__(self, stack: Stack):
        super().__init__(daemon=True)
        self.stack, self.peak, self.done = stack, {}, threading.Event()
        self.cpu_start = {name: cpu_seconds(process_group(stack, name)) for name in stack.processes}
        self.machine_start = psutil.cpu_times()
        self.sessions_start = database_sessions(stack)
        self.connections_peak, self.max_connections = database_connections(stack)
        self.started = time.monotonic()

    def run(self) -> None:
        while not self.done.wait(1.0):
            for name, now in memory_snapshot(self.stack).items():
                best = self.peak.setdefault(name, now)
                for key in ("rss_mb", "pss_mb", "processes"):
                    best[key] = max(best[key], now[key])
            with contextlib.suppress(psycopg.Error):  # a full server refuses us too; the peak stands
                self.connections_peak = max(self.connections_peak, database_connections(self.stack)[0])

    def stop(self) -> dict:
        self.done.set()
        self.join()
        elapsed = time.monotonic() - self.started
        cpu = {}
        for name, before in self.cpu_start.items():
            after = cpu_seconds(process_group(self.stack, name))
            cpu[name] = round(sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items()), 1)
        machine = psutil.cpu_times()
        time.sleep(1)  # PostgreSQL counts sessions in statistics it flushes about each second
        sessions = {
            name: count - self.sessions_start.get(name, 0) for name, count in database_sessions(self.stack).items()
        }
        busy = sum(
            getattr(machine, f) - getattr(self.machine_start, f)
            for f in ("user", "system", "nice", "irq", "softirq", "steal")
        )
        return {
            "peak": self.peak,
            "cpu_seconds": cpu,
            "elapsed_s": round(elapsed, 1),
            "machine_busy_cpu_seconds": round(busy, 1),
            "machine_cpu_seconds": round(elapsed * (os.cpu_count() or 1), 1),
            "database_connections_opened": sessions,
            "database_connections_peak": self.connections_peak,
            "database_max_connections": self.max_connections,
        }


# ---- the shop --------------------------------------------------------------


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


# ---- calls between services per checkout -----------------------------------


def access_lines(stack: Stack, request_id: str) -> list[tuple[str, str]]:
    """(service, "METHOD path status ms") of each access-log line carrying the id
    (common.access_log), the gateway's own excepted."""
    found = []
    for name in SERVICES:
        if name == "gateway":
            continue
        for line in stack.log_path(name).read_text(errors="replace").splitlines():
            if f"[{request_id}] access: " in line:
                method, path, status, ms = line.split("] access: ", 1)[1].split()[:4]
                found.append((name, f"{method} {path} {status.removeprefix('status=')} {ms.removeprefix('ms=')}ms"))
    return found


def trace_checkout(stack: Stack, shop: dict) -> dict:
    """One checkout and one payment with known request ids; waits until the event
    deliveries they cause have arrived (the count stops changing)."""
    gateway, tracer = stack.gateway, shop["tracer"]
    ids = {"checkout": f"bench-checkout-{uuid.uuid4().hex[:12]}", "payment": f"bench-payment-{uuid.uuid4().hex[:12]}"}
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {tracer['access']}"
        added = http.post(
            f"{gateway}/api/carts/{tracer['user_id']}/items/",
            json={"product_id": shop["stocked_ids"][0], "quantity": 2},
        )
        ok(added)
        order = http.post(
            f"{gateway}/api/orders/",
            json={"user_id": tracer["user_id"]},
            headers={"Idempotency-Key": uuid.uuid4().hex, "X-Request-ID": ids["checkout"]},
        )
        ok(order)
        payment = http.post(
            f"{gateway}/api/payments/",
            json={"order_id": order.json()["id"], "method": "card", "card": CARD_OK},
            headers={"Idempotency-Key": uuid.uuid4().hex, "X-Request-ID": ids["payment"]},
        )
        ok(payment)
    # Events and what they cause (notification_service's email lookup) come later, from
    # background threads and dispatchers: done once the count holds for 6 s.
    traced, counts, deadline = {}, [], time.monotonic() + 30
    while time.monotonic() < deadline and (len(counts) < 4 or len(set(counts[-4:])) > 1):
        time.sleep(2)
        traced = {step: access_lines(stack, request_id) for step, request_id in ids.items()}
        counts.append(sum(len(lines) for lines in traced.values()))
    return {
        step: {
            "calls": len(lines),
            "by_service": dict(Counter(service for service, _ in lines)),
            "requests": [f"{service}: {request}" for service, request in lines],
        }
        for step, lines in traced.items()
    } | {"total": sum(len(lines) for lines in traced.values())}


# ---- locust ----------------------------------------------------------------


def run_locust(host: str, classes: list[str], users: int, spawn_rate: float, seconds: int, shop_file: Path) -> dict:
    prefix = shop_file.with_name(f"locust-{classes[0].lower()}")
    command = [str(LOCUST), "-f", str(REPO_DIR / "bench" / "locustfile.py"), "--headless", "--only-summary"]
    command += ["--host", host, "-u", str(users), "-r", str(spawn_rate), "-t", f"{seconds}s", "--csv", str(prefix)]
    command += ["--stop-timeout", "10", "--loglevel", "WARNING", *classes]
    env = os.environ | {"BENCH_SHOP": str(shop_file)}
    # locust exits 1 when any request failed, which the results report; no stats file is an error.
    finished = subprocess.run(command, env=env, check=False, cwd=REPO_DIR, capture_output=True, text=True)
    if not Path(f"{prefix}_stats.csv").exists():
        raise RuntimeError(f"locust wrote no results (exit {finished.returncode}):\n{finished.stderr[-3000:]}")
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as stats:
        for row in csv.DictReader(stats):
            name = "overall" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
            rows[name] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "requests_per_s": round(float(row["Requests/s"]), 1),
                "median_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
            }
    failures = []
    with open(f"{prefix}_failures.csv", newline="") as listed:
        failures = [
            {"endpoint": f"{r['Method']} {r['Name']}", "error": r["Error"][:300], "count": int(r["Occurrences"])}
            for r in csv.DictReader(listed)
        ]
    return {"endpoints": rows, "failures": failures}


class Profiler:
    """py-spy records one service's process while the load runs, sampling the thread that
    holds the GIL: the functions most often on its stack (inclusive) and running (own time)."""

    def __init__(self, stack: Stack, name: str, seconds: int, workdir: Path):
        self.name, self.processes, self.workdir = name, [], workdir
        for worker in process_group(stack, name):
            raw = workdir / f"profile-{name}-{worker.pid}.txt"
            command = [str(PY_SPY), "record", "--pid", str(worker.pid), "--duration", str(seconds)]
            command += ["--format", "raw", "--rate", "100", "--output", str(raw), "--nonblocking"]
            command.append("--gil")  # only the thread running Python: where the CPU goes, not who waits
            self.processes.append((subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), raw))

    def summary(self, top: int = 40) -> dict:
        inclusive, own, samples = Counter(), Counter(), 0
        for process, raw in self.processes:
            process.wait()
            if not raw.exists():
                continue
            for line in raw.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue
                frames = [frame.split(" (")[0] + " (" + frame.split(" (")[-1] for frame in stack.split(";")]
                samples += int(count)
                own[frames[-1]] += int(count)
                for frame in set(frames):
                    inclusive[frame] += int(count)

        def share(counter: Counter) -> list[list]:
            return [[frame, round(100 * hits / max(samples, 1), 1)] for frame, hits in counter.most_common(top)]

        return {"service": self.name, "samples": samples, "inclusive_pct": share(inclusive), "own_pct": share(own)}


# ---- one database ----------------------------------------------------------


def run_database(kind: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-load-{kind}-") as workdir_name:
        workdir = Path(workdir_name)
        stack = BenchStack(workdir, database_server=PG_SERVER if kind == "postgres" else None)
        try:
            stack.start()
            time.sleep(3)  # let every worker finish booting before memory is read
            idle = memory_snapshot(stack)
            print(f"[{kind}] started; preparing the shop", flush=True)
            shop = prepare_shop(stack, args)
            shop_file = workdir / "shop.json"
            shop_file.write_text(json.dumps(shop))
            calls = trace_checkout(stack, shop)
            print(f"[{kind}] {calls['total']} calls between services for a checkout and payment", flush=True)
            load_before = os.getloadavg()
            watcher = LoadWatcher(stack)
            watcher.start()
            locust_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
            profilers = [Profiler(stack, name, args.duration, workdir) for name in args.profile]
            users = args.customers + 1  # one staff user among them (locustfile: Staff.fixed_count)
            shop_run = run_locust(
                stack.gateway, ["Customer", "Staff"], users, args.spawn_rate, args.duration, shop_file
            )
            watched = watcher.stop()
            locust_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            watched["cpu_seconds"]["locust (the load generator)"] = round(
                locust_after.ru_utime + locust_after.ru_stime - locust_cpu.ru_utime - locust_cpu.ru_stime, 1
            )
            load_after = os.getloadavg()
            print(f"[{kind}] load: {json.dumps(shop_run['endpoints'].get('overall'))}", flush=True)
            ceiling = run_locust(
                stack.url("book"), ["Ceiling"], args.customers, args.spawn_rate, args.ceiling_duration, shop_file
            )
            print(f"[{kind}] ceiling: {json.dumps(ceiling['endpoints'].get('overall'))}", flush=True)
            return {
                "load": shop_run,
                "ceiling": ceiling["endpoints"].get("overall"),
                "calls_per_checkout": calls,
                "memory": {"idle": idle, "peak_under_load": watched.pop("peak")},
                "cpu": watched,
                "load_average": {
                    "before": [round(x, 2) for x in load_before],
                    "after": [round(x, 2) for x in load_after],
                },
                "profiles": [profiler.summary() for profiler in profilers],
                "logged_errors": logged_errors(stack),
                "settings": stack.serving_settings(),
            }
        except Exception:
            for name in stack.processes:  # the logs go with the temporary directory
                print(f"--- {name} log ---\n{stack.log_tail(name, 15)}", file=sys.stderr)
            raise
        finally:
            stack.stop()
            if args.keep_logs:
                keep_logs(stack, Path(args.keep_logs) / kind)


def keep_logs(stack: Stack, directory: Path) -> None:
    """Copies every service's log (access lines with request ids included) out of the
    temporary directory, to follow slow requests across services afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in stack.processes:
        if stack.log_path(name).exists():
            shutil.copy(stack.log_path(name), directory / stack.log_path(name).name)
    print(f"logs kept in {directory}", flush=True)


def rounded(numbers) -> list[float]:
    return [round(number, 2) for number in numbers]


def services_total(memory: dict, key: str = "rss_mb") -> float:
    return round(sum(memory[name][key] for name in SERVICES if name in memory), 1)


def targets(result: dict) -> dict:
    endpoints = result["load"]["endpoints"]
    checkout = endpoints.get("POST /api/orders/ (checkout)", {})
    return {
        "zero_errors": endpoints.get("overall", {}).get("errors", 1) == 0,
        "checkout_p95_under_300_ms": checkout.get("p95_ms", 1e9) < CHECKOUT_P95_MS,
        "idle_under_600_mb": services_total(result["memory"]["idle"]) < IDLE_MEMORY_MB,
    }


# ---- the report --------------------------------------------------------------


def write_markdown(report: dict) -> str:
    run = report["run"]
    lines = ["# Load benchmark", "", f"Written by `{run['command']}` (`make bench`); do not edit by hand.", ""]
    lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in report["machine"].items()), ""]
    lines += [
        f"{run['customers']} customers and 1 staff user (locust, headless) through the gateway for "
        f"{run['duration_s']} s after a ramp of {run['spawn_rate']} users/s; customers think "
        f"{run['think_min']}-{run['think_max']} s between tasks; {run['books']} synthetic books besides the demo "
        f"ones, {run['stocked']} of them in stock. Services started as `make run` starts them, except the "
        "gateway's rate limits, raised (every simulated customer comes from one address). Times in ms.",
        "",
    ]
    for kind, result in report["databases"].items():
        settings = ", ".join(f"{k}={v}" for k, v in result["settings"].items())
        before, after = result["load_average"]["before"], result["load_average"]["after"]
        lines += [
            f"## {kind}",
            "",
            f"Settings: {settings}.",
            f"Load average (1, 5, 15 min): {before} before, {after} after.",
            "",
        ]
        lines += ["| endpoint | requests | requests/s | median | p95 | p99 | errors |", "|---|---|---|---|---|---|---|"]
        for name, row in result["load"]["endpoints"].items():
            lines.append(
                f"| {name} | {row['requests']} | {row['requests_per_s']} | {row['median_ms']:g} | "
                f"{row['p95_ms']:g} | {row['p99_ms']:g} | {row['errors']} |"
            )
        ceiling = result["ceiling"] or {}
        lines += [
            "",
            f"Ceiling (book_service `/health/`, same server settings, {run['customers']} users, no think time, "
            f"{run['ceiling_duration_s']} s): {ceiling.get('requests_per_s')} requests/s, median "
            f"{ceiling.get('median_ms')}, p95 {ceiling.get('p95_ms')}, p99 {ceiling.get('p99_ms')}, errors "
            f"{ceiling.get('errors')}.",
            "",
        ]
        if result["load"]["failures"]:
            lines += (
                ["Failures:", ""]
                + [f"- {f['count']} x {f['endpoint']}: {f['error']}" for f in result["load"]["failures"]]
                + [""]
            )
        calls = result["calls_per_checkout"]
        lines += [f"Calls between services for one checkout and its payment: {calls['total']}.", ""]
        for step in ("checkout", "payment"):
            lines += [f"- {step} ({calls[step]['calls']}): " + "; ".join(calls[step]["requests"])]
        idle, peak = result["memory"]["idle"], result["memory"]["peak_under_load"]
        lines += ["", "| process group | processes | RSS idle (MB) | RSS peak (MB) | PSS idle (MB) | PSS peak (MB) |"]
        lines += ["|---|---|---|---|---|---|"]
        for name in idle:
            top = peak.get(name, idle[name])
            lines.append(
                f"| {name} | {idle[name]['processes']} | {idle[name]['rss_mb']} | {top['rss_mb']} | "
                f"{idle[name]['pss_mb']} | {top['pss_mb']} |"
            )
        lines.append(
            f"| **eight services** | | {services_total(idle)} | {services_total(peak)} | "
            f"{services_total(idle, 'pss_mb')} | {services_total(peak, 'pss_mb')} |"
        )
        cpu = result["cpu"]
        requests_done = max(1, result["load"]["endpoints"].get("overall", {}).get("requests", 0))
        lines += [
            "",
            f"CPU time during the load ({cpu['elapsed_s']} s; the machine's {cpu['machine_cpu_seconds']} CPU seconds "
            f"were {cpu['machine_busy_cpu_seconds']} busy, other work on the machine included):",
            "",
            "| process group | CPU seconds | CPU ms per shop request |",
            "|---|---|---|",
        ]
        for name, seconds in sorted(cpu["cpu_seconds"].items(), key=lambda item: -item[1]):
            lines.append(f"| {name} | {seconds} | {round(1000 * seconds / requests_done, 1)} |")
        if opened := cpu.get("database_connections_opened"):
            lines += [
                "",
                "PostgreSQL connections opened during the load (pg_stat_database.sessions): "
                + ", ".join(f"{name} {count}" for name, count in opened.items())
                + ".",
                "",
                f"PostgreSQL connections held by the services at the peak: {cpu['database_connections_peak']} "
                f"(the server's max_connections is {cpu['database_max_connections']}, shared with anything else "
                "using it).",
            ]
        if result.get("logged_errors"):
            lines += ["", "Exceptions in the services' logs:", ""]
            lines += [f"- {count} x {error}" for error, count in result["logged_errors"]]
        lines += ["", "Targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in result["targets"].items())]
        for profile in result["profiles"]:
            lines += ["", f"py-spy on {profile['service']}'s workers ({profile['samples']} samples with the GIL):", ""]
            lines += ["| inclusive | function | | own | function |", "|---|---|---|---|---|"]
            for (frame, pct), (own_frame, own_pct) in zip(
                profile["inclusive_pct"][:15], profile["own_pct"][:15], strict=False
            ):
                lines.append(f"| {pct}% | {frame} | | {own_pct}% | {own_frame} |")
        lines.append("")
    return "\n".join(lines)


def service_names(value: str) -> list[str]:
    names = [name for name in value.split(",") if name]
    if unknown := [name for name in names if name not in SERVICES]:
        raise argparse.ArgumentTypeError(f"unknown service(s): {', '.join(unknown)}; one of {', '.join(SERVICES)}")
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--customers", type=int, default=32, help="simulated customers (one staff user is added)")
    parser.add_argument("--duration", type=int, default=120, help="seconds of load")
    parser.add_argument("--spawn-rate", type=float, default=8, help="customers started per second")
    parser.add_argument("--think-min", type=float, default=0.5, help="seconds a customer waits between tasks")
    parser.add_argument("--think-max", type=float, default=1.5)
    parser.add_argument("--ceiling-duration", type=int, default=30, help="seconds of the trivial endpoint")
    parser.add_argument("--keep-logs", metavar="DIR", help="copy every service's log to DIR/<database>/ at the end")
    parser.add_argument("--books", type=int, default=1000, help="synthetic books added to the demo catalog")
    parser.add_argument("--stocked", type=int, default=100, help="books in stock, which customers buy")
    parser.add_argument(
        "--profile", type=service_names, default=[], help="comma-separated services whose workers py-spy records"
    )
    parser.add_argument(
        "--output",
        default="load",
        type=lambda name: name.removesuffix(".md").removesuffix(".json"),
        help="results file name under bench/results/ (.md and .json are added)",
    )
    args = parser.parse_args()
    kinds = args.databases.split(",")
    report = {
        "machine": describe(PG_SERVER if "postgres" in kinds else None),
        "run": {
            "command": shlex.join(["python", "-m", "bench.load", *sys.argv[1:]]),
            "customers": args.customers,
            "duration_s": args.duration,
            "spawn_rate": args.spawn_rate,
            "think_min": args.think_min,
            "think_max": args.think_max,
            "ceiling_duration_s": args.ceiling_duration,
            "books": args.books,
            "stocked": args.stocked,
        },
        "databases": {},
    }
    for kind in kinds:
        result = run_database(kind, args)
        result["targets"] = targets(result)
        report["databases"][kind] = result
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.output}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / f"{args.output}.md").write_text(write_markdown(report))
    print(f"written to {RESULTS / args.output}.md")
    postgres = report["databases"].get("postgres")
    return 1 if postgres and not all(postgres["targets"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
