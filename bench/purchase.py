"""What one purchase costs: the CPU each process spends and the statements each service
sends for one add-to-cart, checkout and card payment, made one after another.

    .venv/bin/python -m bench.purchase                                  (PostgreSQL)
    .venv/bin/python -m bench.purchase --purchases 100 --rounds 5 --label "after the change"

Starts the shop as `make bench` does (bench.load: make run's settings, the demo data,
signed-up customers; PostgreSQL unless `--database sqlite`), then one customer buys a
stocked book, pays by card, and does it again, `--purchases` times a round, with no
other load. Each round records every process's CPU time (services and dispatchers),
PostgreSQL's own, what each service's /metrics counted (the statements it sent,
`db_statements_total`, which a tree older than that metric lacks; the requests it
answered; the calls it made to other services, event deliveries from its own process
included) and the median time of each step through the gateway. The events and emails
a purchase causes are waited for before a round's CPU is read.

With no concurrency, CPU per purchase moves less with the machine's noise than a load
run's CPU per request: an A/B of a change that cuts work is read here first, then in
`bench.capacity`. Results are kept per `--label` in bench/results/purchase.json, so a
baseline and the code after a change sit side by side in purchase.md.
"""

import argparse
import json
import shlex
import statistics
import sys
import time
import uuid
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

from bench.capacity import commit, postgres_cpu_seconds
from bench.load.sampling import cpu_seconds, process_group
from bench.load.shop import ok, running_shop
from bench.load.stack import PG_SERVER, BenchStack
from bench.machine import RESULTS, describe, write_results
from common.registry import SERVICES

CARD_OK = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "cvc": "737"}
STEPS = ("add to cart", "checkout", "payment")
SETTLE_SECONDS = 3  # the events and emails of the round's last purchase, delivered in the background


# What /metrics counts per service: what the process sent to its database, the requests it
# answered, the calls it made to other services (common.metrics).
COUNTERS = {
    "db_statements_total": "statements",
    "http_server_requests_total": "requests",
    "http_client_requests_total": "calls",
}


def counters(stack: BenchStack) -> dict[str, dict[str, float]]:
    """{kind: {service: count so far}} from each service's /metrics, every label summed,
    the scrapes of /metrics themselves left out. A kind no service has (a tree older than
    db_statements_total) is missing."""
    counted: dict[str, dict[str, float]] = {}
    for name in SERVICES:
        response = requests.get(f"{stack.url(name)}/metrics", timeout=10)
        ok(response)
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                kind = COUNTERS.get(sample.name)
                if kind is None or sample.labels.get("route") == "metrics":
                    continue
                counted.setdefault(kind, {})
                counted[kind][name] = counted[kind].get(name, 0.0) + sample.value
    return counted


def process_cpu(stack: BenchStack) -> dict[str, float]:
    return {name: sum(cpu_seconds(process_group(stack, name)).values()) for name in stack.processes}


def purchases(stack: BenchStack, shop: dict, count: int) -> dict[str, list[float]]:
    """`count` purchases by the shop's first customer, one after another: the time of each step in ms."""
    gateway, customer, books = stack.gateway, shop["customers"][0], shop["stocked_ids"]
    times: dict[str, list[float]] = {step: [] for step in STEPS}
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {customer['access']}"
        for number in range(count):
            started = time.perf_counter()
            item = {"product_id": books[number % len(books)], "quantity": 1}
            ok(http.post(f"{gateway}/api/carts/{customer['user_id']}/items/", json=item))
            added = time.perf_counter()
            order = http.post(
                f"{gateway}/api/orders/",
                json={"user_id": customer["user_id"]},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            ok(order)
            ordered = time.perf_counter()
            paid = http.post(
                f"{gateway}/api/payments/",
                json={"order_id": order.json()["id"], "method": "card", "card": CARD_OK},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            ok(paid)
            done = time.perf_counter()
            for step, (start, end) in zip(STEPS, [(started, added), (added, ordered), (ordered, done)], strict=True):
                times[step].append(1000 * (end - start))
    return times


def one_round(stack: BenchStack, shop: dict, count: int) -> dict[str, Any]:
    cpu_before, counted_before, postgres_before = process_cpu(stack), counters(stack), postgres_cpu_seconds()
    times = purchases(stack, shop, count)
    time.sleep(SETTLE_SECONDS)
    cpu_after, postgres_after = process_cpu(stack), postgres_cpu_seconds()
    counted_after = counters(stack)  # after the CPU: the scrapes' own work is not counted
    per_purchase = {
        kind: {name: round((value - counted_before[kind].get(name, 0.0)) / count, 2) for name, value in by_name.items()}
        for kind, by_name in counted_after.items()
    }
    return {
        "cpu_ms": {name: round(1000 * (cpu_after[name] - cpu_before.get(name, 0.0)) / count, 2) for name in cpu_after},
        "postgres_cpu_ms": round(1000 * (postgres_after - postgres_before) / count, 2),
        "statements": per_purchase.get("statements", {}),
        "requests": per_purchase.get("requests", {}),
        "calls": per_purchase.get("calls", {}),
        "step_median_ms": {step: round(statistics.median(values), 1) for step, values in times.items()},
    }


def medians(rounds: list[dict], key: str) -> dict[str, float]:
    names = rounds[0].get(key, {})
    return {name: round(statistics.median(r[key][name] for r in rounds), 2) for name in names}


def run(args: argparse.Namespace) -> dict:
    args.customers, args.books = 1, 0
    with running_shop("purchase", args.database, args) as (stack, shop_file):
        shop = json.loads(shop_file.read_text())
        purchases(stack, shop, args.warmup)
        time.sleep(SETTLE_SECONDS)
        rounds = []
        for number in range(args.rounds):
            rounds.append(one_round(stack, shop, args.purchases))
            print(f"round {number + 1}: {json.dumps(rounds[-1])}", flush=True)
    result: dict[str, Any] = {
        "rounds": rounds,
        "cpu_ms_by_process": medians(rounds, "cpu_ms"),
        "cpu_ms": round(statistics.median(sum(r["cpu_ms"].values()) for r in rounds), 1),
        "postgres_cpu_ms": round(statistics.median(r["postgres_cpu_ms"] for r in rounds), 1),
        "step_median_ms": medians(rounds, "step_median_ms"),
    }
    for kind in ("statements", "requests", "calls"):
        by_service = medians(rounds, kind)
        result[f"{kind}_by_service"] = by_service
        result[kind] = round(statistics.median(sum(r[kind].values()) for r in rounds), 1) if by_service else None
    return result


def markdown(report: dict) -> str:
    lines = ["# One purchase", "", "Written by `python -m bench.purchase`; do not edit by hand.", ""]
    lines += [
        "One customer adds a stocked book to the cart, checks out and pays by card, again and again, through "
        "the gateway with no other load. Per purchase, medians over the rounds: the CPU of every service's and "
        "dispatcher's process and of PostgreSQL's server (user + system), the statements each service sent "
        "(`db_statements_total`: reads, writes and savepoints; BEGIN and COMMIT not counted), the requests it "
        "answered and the calls it made to the others (event deliveries from its own process included), and "
        "each step's median time.",
        "",
    ]
    for label, entry in report["runs"].items():
        run_, result = entry["run"], entry["result"]
        lines += [f"## {label}", ""]
        lines += [
            f"Commit {run_['commit']}, `{run_['command']}`, {run_['started']}; {run_['database']}, "
            f"{run_['rounds']} rounds of {run_['purchases']} purchases after {run_['warmup']}.",
            "",
            "Machine: " + ", ".join(f"{k} {v}" for k, v in entry["machine"].items()),
            "",
            f"CPU per purchase: **{result['cpu_ms']} ms** in the services, {result['postgres_cpu_ms']} ms in "
            f"PostgreSQL. Statements per purchase: **{result['statements'] or '(not counted)'}**; "
            f"requests the services answered: {result.get('requests') or '(not counted)'}; "
            f"calls they made to each other: {result.get('calls') or '(not counted)'}. "
            "Steps (median ms): " + ", ".join(f"{k} {v}" for k, v in result["step_median_ms"].items()) + ".",
            "",
            "| process | CPU ms per purchase | statements | requests answered | calls made |",
            "|---|---|---|---|---|",
        ]
        for name, cpu in sorted(result["cpu_ms_by_process"].items(), key=lambda item: -item[1]):
            cells = [result.get(f"{kind}_by_service", {}).get(name) for kind in ("statements", "requests", "calls")]
            lines.append(f"| {name} | {cpu} | " + " | ".join("" if c is None else str(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.purchase", description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--purchases", type=int, default=60, help="purchases per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=20, help="purchases before the first round, not counted")
    parser.add_argument("--stocked", type=int, default=10, help="books in stock, bought in turn")
    parser.add_argument("--label", default="current", help="the run's name in the results (baseline, current ...)")
    args = parser.parse_args()
    if min(args.purchases, args.rounds, args.stocked) < 1 or args.warmup < 0:
        parser.error("--purchases, --rounds and --stocked must be at least 1, --warmup at least 0")
    # The shop's pacing options (bench.load.shop reads them); no one waits between purchases here.
    args.think_min = args.think_max = 0.0
    previous = RESULTS / "purchase.json"
    report = json.loads(previous.read_text()) if previous.exists() else {"runs": {}}
    started = time.strftime("%Y-%m-%d %H:%M")
    result = run(args)
    report["runs"][args.label] = {
        "machine": describe(PG_SERVER if args.database == "postgres" else None),
        "run": {
            "command": shlex.join(["python", "-m", "bench.purchase", *sys.argv[1:]]),
            "commit": commit(),
            "database": args.database,
            "purchases": args.purchases,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "started": started,
        },
        "result": result,
    }
    write_results("purchase", report, markdown(report))
    print(f"purchase ({args.label}): {result['cpu_ms']} ms of services' CPU, {result['statements']} statements")
    return 0


if __name__ == "__main__":
    sys.exit(main())
