"""The shop's capacity: the most shoppers it holds with no error and a checkout p95 under
300 ms, found by steps, and the curve up to there.

    .venv/bin/python -m bench.capacity                          (after `make bench` installed locust)
    .venv/bin/python -m bench.capacity --steps 16,32,64 --duration 30 --label "quick look"

Starts the shop as `make bench` does (bench.load: make run's settings, the demo data, a
grown catalog, signed-up customers; PostgreSQL unless `--database sqlite`), then runs
locust's shop customers (bench/locustfile.py: the same journey mix and think time at
every step) at 16, 32, 64, 96, 128 ... shoppers, each step after a warm-up at its own
size, stopping after the first step that fails (any error, or checkout p95 at 300 ms or
more). Each step records requests/s, checkout p50/p95, how busy the machine was, the
services' CPU per shop request and PostgreSQL's own (its server processes: the floor
under what the services spend), and the most database connections the services held.

The curve is kept per `--label` in bench/results/capacity.json, so the baseline (the code
before a change) and the code after it sit side by side; capacity.md has the tables and
capacity.png the plot.
"""

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import psutil

from bench.load.locust_run import run_locust
from bench.load.options import add_shop_options
from bench.load.sampling import LoadWatcher
from bench.load.shop import running_shop
from bench.load.stack import PG_SERVER, BenchStack
from bench.load.targets import CHECKOUT_P95_MS
from bench.machine import RESULTS, describe, write_results

CHECKOUT = "POST /api/orders/ (checkout)"
DEFAULT_STEPS = "16,32,64,96,128,160,192,256"
PLOTTED_CURVES = 4


def steps(value: str) -> list[int]:
    numbers = [int(part) for part in value.split(",") if part.strip()]
    if not numbers or any(n < 1 for n in numbers) or numbers != sorted(set(numbers)):
        raise argparse.ArgumentTypeError("a rising, comma-separated list of shopper counts, such as 16,32,64")
    return numbers


def postgres_cpu_seconds() -> float:
    """CPU time of the PostgreSQL server, user + system: the postmaster's, its live
    processes' (backends, checkpointer, WAL writer ...), and that of the backends that
    have ended (a backend's CPU goes to its parent's children times once it is reaped);
    0 when no server is visible from here."""
    total = 0.0
    for process in psutil.process_iter(["name", "ppid"]):
        if process.info["name"] not in {"postgres", "postmaster"}:
            continue
        try:
            times = process.cpu_times()
            total += times.user + times.system
            parent_name = psutil.Process(process.info["ppid"]).name() if process.info["ppid"] else ""
            if parent_name not in {"postgres", "postmaster"}:  # the postmaster: its reaped children too
                total += times.children_user + times.children_system
        except psutil.NoSuchProcess:  # ended between the listing and the reading: its parent has it
            continue
    return total


def step(stack: BenchStack, shop_file: Path, shoppers: int, args: argparse.Namespace) -> dict:
    users = shoppers + 1  # one staff user among them (locustfile: Staff.fixed_count)
    spawn_rate = max(args.spawn_rate, shoppers / 4)  # every step ramps up in about four seconds
    run_locust(stack.gateway, ["Customer", "Staff"], users, spawn_rate, args.warmup, shop_file)
    watcher = LoadWatcher(stack)
    postgres_before = postgres_cpu_seconds()
    watcher.start()
    result = run_locust(stack.gateway, ["Customer", "Staff"], users, spawn_rate, args.duration, shop_file)
    watched = watcher.stop()
    postgres = postgres_cpu_seconds() - postgres_before
    overall = result["endpoints"]["overall"]
    checkout = result["endpoints"].get(CHECKOUT, {})
    requests = max(overall["requests"], 1)
    services = sum(watched["cpu_seconds"].values())
    row = {
        "shoppers": shoppers,
        "requests": overall["requests"],
        "requests_per_s": round(overall["requests"] / watched["elapsed_s"], 1),
        "errors": overall["errors"],
        "checkout_p50_ms": checkout.get("median_ms"),
        "checkout_p95_ms": checkout.get("p95_ms"),
        "p95_ms": overall["p95_ms"],
        "machine_busy_percent": round(100 * watched["machine_busy_cpu_seconds"] / watched["machine_cpu_seconds"]),
        "services_cpu_ms_per_request": round(1000 * services / requests, 2),
        "postgres_cpu_ms_per_request": round(1000 * postgres / requests, 2),
        "cpu_ms_per_request_by_service": {
            name: round(1000 * seconds / requests, 2) for name, seconds in watched["cpu_seconds"].items()
        },
        "database_connections_peak": watched["database_connections_peak"],
        "failures": result["failures"][:5],
    }
    row["held"] = row["errors"] == 0 and (row["checkout_p95_ms"] or 1e9) < CHECKOUT_P95_MS
    return row


def run(args: argparse.Namespace) -> dict:
    args.customers = args.steps[-1]
    curve: list[dict] = []
    with running_shop("capacity", args.database, args) as (stack, shop_file):
        for shoppers in args.steps:
            curve.append(step(stack, shop_file, shoppers, args))
            print(f"{shoppers} shoppers: {json.dumps(curve[-1])}", flush=True)
            if not curve[-1]["held"]:
                break
        settings = stack.serving_settings()
    held = [row["shoppers"] for row in curve if row["held"]]
    return {"curve": curve, "capacity": max(held, default=0), "settings": settings}


def markdown(report: dict) -> str:
    lines = ["# Capacity", "", "Written by `python -m bench.capacity`; do not edit by hand.", ""]
    lines += [
        "The most shoppers the shop holds with no error and a checkout p95 under "
        f"{CHECKOUT_P95_MS} ms: steps of bench/locustfile.py's customers (and one staff user) through the "
        "gateway, stopping after the first step that fails. CPU: every service's and dispatcher's process, "
        "and PostgreSQL's server processes, user + system, over the requests of the step.",
        "",
    ]
    for label, curve in report["curves"].items():
        run_ = curve["run"]
        held = curve["result"]["capacity"]
        lines += [f"## {label}: {f'{held} shoppers' if held else 'no step held'}", ""]
        lines += [
            f"Commit {run_['commit']}, `{run_['command']}`; {run_['database']}, "
            + (f"{run_['replicas']} replicas of every service behind nginx, " if run_.get("replicas", 1) > 1 else "")
            + f"{run_['duration_s']} s a step "
            f"after a {run_['warmup_s']} s warm-up; settings: "
            + ", ".join(f"{k}={v}" for k, v in curve["result"]["settings"].items()),
            "",
        ]
        lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in curve["machine"].items()), ""]
        lines += [
            "| shoppers | requests/s | checkout p50 ms | checkout p95 ms | errors | machine busy | "
            "services' CPU ms per request | PostgreSQL's | connections (peak) | held |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in curve["result"]["curve"]:
            lines.append(
                f"| {row['shoppers']} | {row['requests_per_s']} | {row['checkout_p50_ms']} | {row['checkout_p95_ms']} "
                f"| {row['errors']} | {row['machine_busy_percent']}% | {row['services_cpu_ms_per_request']} "
                f"| {row['postgres_cpu_ms_per_request']} | {row['database_connections_peak']} "
                f"| {'yes' if row['held'] else 'no'} |"
            )
        lines.append("")
    lines += [f"![capacity curve: the first baseline and the latest {PLOTTED_CURVES} curves](capacity.png)", ""]
    return "\n".join(lines)


def plotted(report: dict) -> list[tuple[str, dict]]:
    """What the plot shows, so it stays readable as curves pile up: the first baseline and
    the latest PLOTTED_CURVES curves of more than one step (capacity.md has them all)."""
    curves = [(label, curve) for label, curve in report["curves"].items() if len(curve["result"]["curve"]) > 1]
    chosen = curves[-PLOTTED_CURVES:]
    baseline = next(((label, curve) for label, curve in curves if label.startswith("baseline")), None)
    if baseline is not None and baseline not in chosen:
        chosen.insert(0, baseline)
    return chosen


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display: a file
    from matplotlib import pyplot

    figure, (throughput, latency) = pyplot.subplots(1, 2, figsize=(11, 4.6))
    for label, curve in plotted(report):
        rows = curve["result"]["curve"]
        shoppers = [row["shoppers"] for row in rows]
        [line] = throughput.plot(shoppers, [row["requests_per_s"] for row in rows], marker="o", label=label)
        colour = line.get_color()  # one colour per curve on both plots: p95 solid, p50 dotted
        p95 = [row["checkout_p95_ms"] for row in rows]
        latency.plot(shoppers, p95, marker="o", color=colour, label=label)
        p50 = [row["checkout_p50_ms"] for row in rows]
        latency.plot(shoppers, p50, marker=".", linestyle=":", color=colour, label="_nolegend_")
    latency.axhline(CHECKOUT_P95_MS, color="grey", linestyle="--", linewidth=1, label=f"{CHECKOUT_P95_MS} ms")
    throughput.set(xlabel="shoppers", ylabel="requests/s", title="Throughput")
    latency.set(xlabel="shoppers", ylabel="ms", title="Checkout latency: p95 solid, p50 dotted")
    for axes in (throughput, latency):
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)


def commit() -> str:
    import subprocess

    described = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True)
    return described.stdout.strip() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--steps", type=steps, default=steps(DEFAULT_STEPS), help=f"default {DEFAULT_STEPS}")
    parser.add_argument("--label", default="current", help="the curve's name in the results (baseline, current ...)")
    parser.add_argument(
        "--replicas", type=int, default=1, help="processes of every service, behind nginx (bench.load.replicas)"
    )
    add_shop_options(parser, customers=0, duration=60, books=1000, stocked=100)
    parser.add_argument("--warmup", type=int, default=10, help="seconds of load before each step, not counted")
    args = parser.parse_args()
    previous = RESULTS / "capacity.json"
    report = json.loads(previous.read_text()) if previous.exists() else {"curves": {}}
    report["curves"][args.label] = {
        "machine": describe(PG_SERVER if args.database == "postgres" else None),
        "run": {
            "command": shlex.join(["python", "-m", "bench.capacity", *sys.argv[1:]]),
            "commit": commit(),
            "database": args.database,
            "duration_s": args.duration,
            "replicas": args.replicas,
            "warmup_s": args.warmup,
            "started": time.strftime("%Y-%m-%d %H:%M"),
        },
        "result": run(args),
    }
    write_results("capacity", report, markdown(report))
    plot(report, RESULTS / "capacity.png")
    print(f"capacity ({args.label}): {report['curves'][args.label]['result']['capacity']} shoppers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
