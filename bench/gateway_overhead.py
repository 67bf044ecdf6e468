"""Benchmark: what the gateway costs, next to going direct and to nginx.

    .venv/bin/python -m bench.gateway_overhead                          (needs wrk and nginx:
    .venv/bin/python -m bench.gateway_overhead --rounds 9 --seconds 3    apt-get install wrk nginx-light)

Starts book_service (SQLite, demo catalog) and a gateway in front of it, both served
as `make run` serves them (tools/serve.py: waitress, and granian's worker for the
gateway), and nginx as a plain keep-alive reverse proxy to book_service. wrk then
drives the same two endpoints (a book read and a search) directly, through the gateway
and through nginx, at 1 and at 16 connections. A fourth path, the floor, is the least
a proxy written in Python can do (bench/minimal_proxy.py) under the gateway's server: what
any Python gateway costs on the machine before it does anything.

The machine's speed drifts within minutes, so the paths take turns: each round runs
every path for a few seconds, one after the other, and what a path adds is the median
over the rounds of its difference from going direct in the same round. Median and p99
latency and requests/s (medians over the rounds) go to
bench/results/gateway_overhead.{json,md} with the machine they ran on.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import nginx
from bench.machine import describe, write_results
from bench.wrk import missing_tools, run_wrk
from common.registry import SERVICES
from tests.e2e.harness import free_ports
from tools.dev_keys import development_keys
from tools.stack import REPO_DIR, serve_command, wait_ready

ENDPOINTS = {"book read": "/api/books/1/", "search": "/api/books/search/?search_term=tieng%20viet"}
CONNECTIONS = (1, 16)


def start_service(name: str, port: int, env: dict, tmp: Path) -> subprocess.Popen:
    log = (tmp / f"{name}.log").open("wb")
    service_env = env | {SERVICES[name].port_var: str(port)}
    return subprocess.Popen(serve_command(name), cwd=REPO_DIR, env=service_env, stdout=log, stderr=log)


def start_floor(port: int, book_port: int, env: dict, tmp: Path) -> subprocess.Popen:
    log = (tmp / "floor.log").open("wb")
    # Under the gateway's own server (tools/granian_worker.py), as the issue compares them.
    command = [sys.executable, "-m", "bench.inprocess_server", "granian", str(port), "bench.minimal_proxy:application"]
    floor_env = env | {"BENCH_UPSTREAM": f"127.0.0.1:{book_port}"}
    return subprocess.Popen(command, cwd=REPO_DIR, env=floor_env, stdout=log, stderr=log)


def start_nginx(port: int, book_port: int, tmp: Path) -> subprocess.Popen:
    return nginx.start(tmp, {"book": (port, [book_port])})


def combine(rounds: list[dict]) -> dict:
    """One path's rounds as one row: medians over the rounds, CPU per request over all."""
    requests = sum(r["requests"] for r in rounds)
    keys = ("median_ms", "p99_ms", "requests_per_s")
    row = {key: round(statistics.median(r[key] for r in rounds), 3) for key in keys}
    row |= {"requests": requests, "errors": sum(r["errors"] for r in rounds)}
    row["cpu_ms_per_request"] = {
        name: round(sum(r["cpu_ms_per_request"][name] * r["requests"] for r in rounds) / max(requests, 1), 3)
        for name in rounds[0]["cpu_ms_per_request"]
    }
    row["rounds_median_ms"] = [r["median_ms"] for r in rounds]
    row["rounds_requests_per_s"] = [r["requests_per_s"] for r in rounds]
    return row


def paired(rows: dict, path: str, key: str, how) -> float:
    """The median over the rounds of how(path's value, direct's value in the same round)."""
    pairs = zip(rows[path][key], rows["direct"][key], strict=True)
    return statistics.median(how(mine, direct) for mine, direct in pairs)


def summarize(rows: dict) -> dict:
    """The gateway's, nginx's and the floor's cost against going direct, per endpoint."""
    summary = {}
    for endpoint in ENDPOINTS:
        one, many = rows[endpoint]["1"], rows[endpoint]["16"]

        def added(path: str, one=one) -> float:
            return round(paired(one, path, "rounds_median_ms", lambda mine, direct: mine - direct), 3)

        def share(path: str, many=many) -> float:
            return round(paired(many, path, "rounds_requests_per_s", lambda mine, direct: mine / direct), 3)

        summary[endpoint] = {
            "gateway_added_median_ms_at_1": added("gateway"),
            "gateway_cpu_ms_per_request_at_1": one["gateway"]["cpu_ms_per_request"]["gateway"],
            "nginx_added_median_ms_at_1": added("nginx"),
            "floor_added_median_ms_at_1": added("floor"),
            "floor_cpu_ms_per_request_at_1": one["floor"]["cpu_ms_per_request"]["floor"],
            "gateway_throughput_share_at_16": share("gateway"),
            "nginx_throughput_share_at_16": share("nginx"),
            "floor_throughput_share_at_16": share("floor"),
            "direct_throughput_at_16_over_1": round(
                statistics.median(
                    m / o
                    for m, o in zip(
                        many["direct"]["rounds_requests_per_s"], one["direct"]["rounds_requests_per_s"], strict=True
                    )
                ),
                3,
            ),
        }
    return summary


def write_markdown(report: dict) -> str:
    lines = ["# Gateway overhead benchmark", "", "Written by `python -m bench.gateway_overhead`; do not edit by hand."]
    lines += [""]
    lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in report["machine"].items()), ""]
    lines += [
        f"wrk, {report['rounds']} rounds of {report['seconds']} s per path, the paths taking turns in each round "
        f"(a 1 s warm-up first); medians over the rounds; book_service under waitress and the gateway under "
        f"granian's worker (tools/granian_worker.py), {report['server']}, SQLite; nginx with one worker and "
        "keep-alive to book_service; floor: the least a Python proxy does (bench/minimal_proxy.py), under the "
        "gateway's server. Times in ms.",
        "",
        "| endpoint | connections | path | median | p99 | requests/s | errors | CPU ms per request (book, proxy) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for endpoint, by_connections in report["rows"].items():
        for connections, by_path in by_connections.items():
            for path, row in by_path.items():
                cpu = ", ".join(str(ms) for ms in row["cpu_ms_per_request"].values())
                lines.append(
                    f"| {endpoint} | {connections} | {path} | {row['median_ms']} | {row['p99_ms']} | "
                    f"{row['requests_per_s']:.0f} | {row['errors']} | {cpu} |"
                )
    lines += ["", "What each path adds or keeps: the median over the rounds of its difference from (or share of)"]
    lines[-1] += " going direct in the same round."
    lines += ["", "| endpoint | gateway adds (median, 1 conn.) | its CPU per request | nginx adds |"]
    lines[-1] += " floor adds (its CPU per request) | gateway keeps (req/s, 16 conn.) | direct, 16 conn. against 1 |"
    lines += ["|---|---|---|---|---|---|---|"]
    for endpoint, s in report["summary"].items():
        lines.append(
            f"| {endpoint} | {s['gateway_added_median_ms_at_1']} ms | {s['gateway_cpu_ms_per_request_at_1']} ms | "
            f"{s['nginx_added_median_ms_at_1']} ms | "
            f"{s['floor_added_median_ms_at_1']} ms ({s['floor_cpu_ms_per_request_at_1']} ms) | "
            f"{s['gateway_throughput_share_at_16']:.0%} of direct (nginx {s['nginx_throughput_share_at_16']:.0%}, "
            f"floor {s['floor_throughput_share_at_16']:.0%}) | {s['direct_throughput_at_16_over_1']:.0%} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="turns each path takes")
    parser.add_argument("--seconds", type=int, default=2, help="seconds of wrk per path per round")
    args = parser.parse_args()
    if missing_tools(("wrk", "nginx"), "apt-get install wrk nginx-light"):
        return 2
    book_port, gateway_port, nginx_port, floor_port = free_ports(4)
    server = {"WEB_THREADS": os.environ.get("WEB_THREADS", "8")}
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp_name:
        tmp = Path(tmp_name)
        env = development_keys(tmp) | {
            k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DATABASE_SERVER_URL"}
        }
        env |= server | {"VAR_DIR": str(tmp), "HOST": "127.0.0.1", "LOG_LEVEL": "WARNING", "LOAD_DEMO_DATA": "1"}
        env |= {SERVICES["book"].url_var: f"http://127.0.0.1:{book_port}"}
        processes = [
            start_service("book", book_port, env, tmp),
            start_service("gateway", gateway_port, env, tmp),
            start_nginx(nginx_port, book_port, tmp),
            start_floor(floor_port, book_port, env, tmp),
        ]
        proxies = {"gateway": processes[1], "nginx": processes[2], "floor": processes[3]}
        try:
            bases = {
                "direct": f"http://127.0.0.1:{book_port}",
                "gateway": f"http://127.0.0.1:{gateway_port}",
                "nginx": f"http://127.0.0.1:{nginx_port}",
                "floor": f"http://127.0.0.1:{floor_port}",
            }
            if missing := wait_ready(bases, timeout=90):
                raise RuntimeError(f"not ready: {missing}; logs in {tmp}")
            rows: dict = {}
            for endpoint, path in ENDPOINTS.items():
                for connections in CONNECTIONS:
                    rounds: dict[str, list] = {name: [] for name in bases}
                    for turn in range(args.rounds):
                        for name, base in bases.items():
                            measured = {"book_service": processes[0]} | {k: v for k, v in proxies.items() if k == name}
                            row = run_wrk(base + path, connections, args.seconds, measured, warm_up=turn == 0)
                            rounds[name].append(row)
                    for name, by_round in rounds.items():
                        row = rows.setdefault(endpoint, {}).setdefault(str(connections), {})[name] = combine(by_round)
                        print(f"{endpoint} c={connections} {name}: {row}", flush=True)
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=15)
    report = {
        "machine": describe(),
        "rounds": args.rounds,
        "seconds": args.seconds,
        "server": ", ".join(f"{k}={v}" for k, v in server.items()),
        "rows": rows,
        "summary": summarize(rows),
    }
    write_results("gateway_overhead", report, write_markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
