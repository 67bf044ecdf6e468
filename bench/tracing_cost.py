"""What tracing costs: the services' CPU per shop request with tracing off, on (the default
sampling, one trace in ten) and on keeping every trace.

    .venv/bin/python -m bench.tracing_cost                      (after `make bench` installed locust)
    .venv/bin/python -m bench.tracing_cost --rounds 5 --duration 60 --database postgres

Starts the shop as `make bench` does (bench.load: make run's settings, the demo data, a
grown catalog, signed-up customers), then alternates rounds with tracing off (the
default: no OTEL_* variable), on (OTEL_EXPORTER_OTLP_ENDPOINT set, the default
sampling, spans exported over OTLP/HTTP to a sink in this process that answers 200 and
keeps nothing) and every trace kept (OTEL_TRACES_SAMPLER=parentbased_always_on),
restarting every service and dispatcher between them. Each round: a
short warm-up, then locust's shop customers through the gateway for `--duration`
seconds while the CPU time of every service and dispatcher process is counted. The CPU
per shop request is that time over the requests locust made; the result is the median
of the rounds of each, and the ratios to off (the target: on costs at most 15% more).
Writes bench/results/tracing_cost.{json,md}.
"""

import argparse
import http.server
import json
import shlex
import statistics
import sys
import threading
import time
from pathlib import Path

from bench.load.locust_run import run_locust
from bench.load.options import add_shop_options
from bench.load.sampling import cpu_seconds, process_group
from bench.load.shop import running_shop
from bench.load.stack import PG_SERVER, BenchStack
from bench.machine import describe, write_results

TARGET_RATIO = 1.15


class Sink(http.server.ThreadingHTTPServer):
    """An OTLP/HTTP endpoint that takes every export and keeps nothing (a collector's
    cost is not the services')."""

    def __init__(self) -> None:
        self.exports = 0
        self.bytes = 0
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                sink.bytes += len(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                sink.exports += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.daemon_threads = True
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def services_cpu(stack: BenchStack) -> dict[str, float]:
    return {name: sum(cpu_seconds(process_group(stack, name)).values()) for name in stack.processes}


def measure(stack: BenchStack, shop_file: Path, args: argparse.Namespace) -> dict:
    users = args.customers + 1  # one staff user among them (locustfile: Staff.fixed_count)
    run_locust(stack.gateway, ["Customer", "Staff"], users, args.spawn_rate, args.warmup, shop_file)
    before = services_cpu(stack)
    started = time.monotonic()
    result = run_locust(stack.gateway, ["Customer", "Staff"], users, args.spawn_rate, args.duration, shop_file)
    elapsed = time.monotonic() - started
    after = services_cpu(stack)
    overall = result["endpoints"]["overall"]
    per_process = {name: round(after[name] - before.get(name, 0.0), 2) for name in after}
    cpu = sum(per_process.values())
    return {
        "requests": overall["requests"],
        "errors": overall["errors"],
        "elapsed_s": round(elapsed, 1),
        "median_ms": overall["median_ms"],
        "p95_ms": overall["p95_ms"],
        "cpu_seconds": round(cpu, 2),
        "cpu_ms_per_request": round(1000 * cpu / max(overall["requests"], 1), 2),
        "cpu_seconds_by_process": per_process,
    }


MODES = ("off", "on", "every trace")


def round_order(number: int) -> tuple[str, ...]:
    """Off, on, every trace in odd rounds and the other way round in even ones: the shop
    grows as it runs (books, orders, events), so a mode always measured last would pay
    for the growth."""
    return MODES if number % 2 else MODES[::-1]


def run(args: argparse.Namespace) -> dict:
    sink = Sink()
    modes: dict[str, dict[str, str]] = {
        "off": {},
        "on": {"OTEL_EXPORTER_OTLP_ENDPOINT": sink.url},
        "every trace": {"OTEL_EXPORTER_OTLP_ENDPOINT": sink.url, "OTEL_TRACES_SAMPLER": "parentbased_always_on"},
    }
    rounds: dict[str, list[dict]] = {mode: [] for mode in MODES}
    try:
        with running_shop("tracing", args.database, args) as (stack, shop_file):
            for number in range(1, args.rounds + 1):
                for mode in round_order(number):
                    exports_before = sink.exports
                    with stack.configured_all(**modes[mode]):
                        rounds[mode].append(measure(stack, shop_file, args))
                    rounds[mode][-1]["otlp_exports"] = sink.exports - exports_before
                    print(f"round {number} {mode}: {json.dumps(rounds[mode][-1])}", flush=True)
    finally:
        sink.shutdown()
    median = {kind: statistics.median(r["cpu_ms_per_request"] for r in done) for kind, done in rounds.items()}
    return {
        "rounds": rounds,
        "cpu_ms_per_request": median,
        "ratio": round(median["on"] / median["off"], 3),
        "ratio_every_trace": round(median["every trace"] / median["off"], 3),
        "target_ratio": TARGET_RATIO,
        "met": median["on"] / median["off"] <= TARGET_RATIO,
        "otlp_bytes": sink.bytes,
    }


def markdown(report: dict) -> str:
    run_, result = report["run"], report["result"]
    lines = ["# Tracing's cost", "", f"Written by `{run_['command']}`; do not edit by hand.", ""]
    lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in report["machine"].items()), ""]
    lines += [
        f"{run_['customers']} customers and 1 staff user (bench/locustfile.py) through the gateway, "
        f"{run_['database']}, {run_['duration_s']} s per round after a {run_['warmup_s']} s warm-up; "
        "off, on and every trace alternate (the order reversed every other round), every process restarted "
        "between them. On: OTEL_EXPORTER_OTLP_ENDPOINT "
        "set (the default sampling: one trace in ten, decided at the gateway); every trace: "
        "OTEL_TRACES_SAMPLER=parentbased_always_on too; spans exported over OTLP/HTTP to a sink that keeps nothing. "
        "CPU: every service's and dispatcher's process, user + system.",
        "",
        "| round | tracing | requests | errors | median ms | p95 ms | services' CPU s | CPU ms per request "
        "| of this round's off |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    runs = zip(result["rounds"]["off"], result["rounds"]["on"], result["rounds"]["every trace"], strict=True)
    for number, (off, on, every) in enumerate(runs, 1):
        for kind, r in (("off", off), ("on", on), ("every trace", every)):
            lines.append(
                f"| {number} | {kind} | {r['requests']} | {r['errors']} | {r['median_ms']:g} | {r['p95_ms']:g} "
                f"| {r['cpu_seconds']} | {r['cpu_ms_per_request']} "
                f"| {r['cpu_ms_per_request'] / off['cpu_ms_per_request']:.2f} |"
            )
    median = result["cpu_ms_per_request"]
    lines += [
        "",
        f"**Median CPU per shop request: off {median['off']} ms, on {median['on']} ms; on/off = "
        f"{result['ratio']}** (target at most {result['target_ratio']}: {'met' if result['met'] else 'not met'}). "
        f"Every trace kept: {median['every trace']} ms, {result['ratio_every_trace']} of off.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tracing_cost", description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--rounds", type=int, default=4, help="rounds of each: off, on and every trace, then the other way round"
    )
    add_shop_options(parser, customers=16, duration=40, books=300, stocked=50)
    parser.add_argument("--warmup", type=int, default=8, help="seconds of load before each round, not counted")
    args = parser.parse_args()
    report = {
        "machine": describe(PG_SERVER if args.database == "postgres" else None),
        "run": {
            "command": shlex.join(["python", "-m", "bench.tracing_cost", *sys.argv[1:]]),
            "database": args.database,
            "customers": args.customers,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
        },
    }
    report["result"] = run(args)
    write_results("tracing_cost", report, markdown(report))
    print(f"CPU ms per shop request: {report['result']['cpu_ms_per_request']}, on/off {report['result']['ratio']}")
    return 0 if report["result"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
