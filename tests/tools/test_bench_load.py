"""The load benchmark's own logic (`make bench`, bench/load/), without starting anything:
the settings it starts the services with, how it counts calls between services in the
access logs, how it judges the targets and writes the report. Skipped where the
benchmark's tools (requirements-bench.txt) are not installed."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("psutil", reason="make bench installs requirements-bench.txt")

from bench import nginx
from bench.load.locust_run import read_stats
from bench.load.logs import logged_errors
from bench.load.replicas import ReplicatedStack, replica_key
from bench.load.report import write_markdown
from bench.load.stack import BenchStack
from bench.load.targets import targets
from bench.load.trace import access_lines
from common.registry import SERVICES
from tools.stack import REPO_DIR


def stack_in(tmp_path: Path) -> BenchStack:
    return BenchStack(tmp_path, ports={name: 9000 + i for i, name in enumerate(SERVICES)})


def test_services_start_with_make_runs_settings_and_raised_rate_limits(tmp_path, monkeypatch):
    monkeypatch.setenv("WEB_THREADS", "6")
    env = stack_in(tmp_path).env_for("gateway")
    assert env["WEB_THREADS"] == "6"  # the caller's choice is kept
    assert "GATEWAY_READ_TIMEOUT" not in env
    assert "EVENT_SUBSCRIBERS" not in env  # only the real subscribers
    stack = stack_in(tmp_path)
    stack.mailbox = SimpleNamespace(port=2525)  # the harness's test mail server, as if started
    notification = stack.env_for("notification")
    assert "EMAIL_HOST" not in notification  # make run's console email backend
    assert "NOTIFICATION_SWEEP_SECONDS" not in notification  # the suite's fast retries are not make run's
    assert notification["NOTIFICATION_SERVICE_PORT"] == "9006"
    assert notification["VAR_DIR"] == str(tmp_path)
    assert env["GATEWAY_RATE_WRITES"] == "100000/min"
    assert env["LOAD_DEMO_DATA"] == "1"


def test_calls_between_services_are_the_access_lines_with_the_id_except_the_gateways(tmp_path):
    stack = stack_in(tmp_path)
    line = "2026-11-25 13:04:11,120 INFO [{id}] access: {request} status={status} ms={ms}.0"
    logs = {
        "gateway": [line.format(id="abc", request="POST /api/orders/", status=201, ms=90)],
        "order": [
            line.format(id="abc", request="POST /api/orders/", status=201, ms=80),
            line.format(id="other", request="GET /api/orders/1/", status=200, ms=5),
            "2026-11-25 13:04:11 INFO [abc] orders: checkout done",  # not an access line
        ],
        "cart": [line.format(id="abc", request="GET /api/carts/3/", status=200, ms=9)],
    }
    for name in SERVICES:
        stack.log_path(name).write_text("\n".join(logs.get(name, [])) + "\n")
    assert access_lines(stack, "abc") == [
        ("order", "POST /api/orders/ 201 80.0ms"),
        ("cart", "GET /api/carts/3/ 200 9.0ms"),
    ]
    assert access_lines(stack, "missing") == []


def result(*, errors: int = 0, checkout_p95: float = 120.0, rss_each: float = 50.0) -> dict:
    row = {"requests": 10, "errors": errors, "requests_per_s": 1.0, "median_ms": 20.0, "p95_ms": 90.0, "p99_ms": 99.0}
    checkout = "POST /api/orders/ (checkout)"
    memory = {name: {"rss_mb": rss_each, "pss_mb": rss_each / 2, "processes": 3} for name in SERVICES}
    memory["order-dispatcher"] = {"rss_mb": 500.0, "pss_mb": 400.0, "processes": 1}  # not a service
    return {
        "load": {
            "endpoints": {checkout: row | {"p95_ms": checkout_p95}, "overall": row},
            "failures": [{"endpoint": checkout, "error": "409", "count": errors}] if errors else [],
        },
        "ceiling": row,
        "calls_per_checkout": {
            "total": 2,
            "checkout": {"calls": 1, "by_service": {"order": 1}, "requests": ["order: POST /api/orders/ 201 80ms"]},
            "payment": {"calls": 1, "by_service": {"payment": 1}, "requests": ["payment: POST /api/payments/ 201 9ms"]},
        },
        "memory": {"idle": memory, "peak_under_load": memory},
        "cpu": {
            "cpu_seconds": {"order": 1.5},
            "elapsed_s": 10,
            "machine_busy_cpu_seconds": 12,
            "machine_cpu_seconds": 20,
            "database_connections_opened": {"order": 4},
            "database_connections_peak": 97,
            "database_max_connections": 100,
        },
        "load_average": {"before": [1.0, 1.0, 1.0], "after": [2.0, 1.0, 1.0]},
        "profiles": [],
        "logged_errors": [["order: psycopg.OperationalError: sorry, too many clients already", 3]],
        "settings": {"WEB_THREADS": "8 (default)"},
    }


def test_targets_count_the_eight_services_memory_but_not_the_dispatchers():
    assert targets(result()) == {
        "zero_errors": True,
        "checkout_p95_under_300_ms": True,
        "idle_under_600_mb": True,  # 8 x 50 MB; the 500 MB dispatcher is not a service
    }
    assert targets(result(errors=1, checkout_p95=300.0, rss_each=75.0)) == {
        "zero_errors": False,
        "checkout_p95_under_300_ms": False,
        "idle_under_600_mb": False,
    }


def test_the_report_names_the_run_the_endpoints_the_calls_and_the_targets():
    measured = result(errors=2) | {"targets": {"zero_errors": False}}
    report = {
        "machine": {"cores": 2},
        "run": {
            "command": "python -m bench.load --databases postgres",
            "customers": 32,
            "duration_s": 120,
            "spawn_rate": 8,
            "think_min": 0.5,
            "think_max": 1.5,
            "ceiling_duration_s": 30,
            "books": 1000,
            "stocked": 100,
        },
        "databases": {"postgres": measured},
    }
    text = write_markdown(report)
    json.dumps(report)  # what main() writes beside it
    assert "Written by `python -m bench.load --databases postgres`" in text
    assert "| POST /api/orders/ (checkout) | 10 | 1.0 | 20 | 120 | 99 | 2 |" in text
    assert "| overall | 10 | 1.0 | 20 | 90 | 99 | 2 |" in text
    assert "- 2 x POST /api/orders/ (checkout): 409" in text
    assert "- checkout (1): order: POST /api/orders/ 201 80ms" in text
    assert "PostgreSQL connections opened during the load (pg_stat_database.sessions): order 4." in text
    assert "held by the services at the peak: 97 (the server's max_connections is 100" in text
    assert "- 3 x order: psycopg.OperationalError: sorry, too many clients already" in text
    assert "zero_errors NOT met" in text


def test_the_cause_of_500s_is_read_from_the_tracebacks_in_the_logs(tmp_path):
    stack = stack_in(tmp_path)
    stack.processes = {"order": None, "book": None}
    traceback = [
        "2026-11-25 13:49:23 ERROR [abc] django.request: Internal Server Error: /api/orders/",
        "Traceback (most recent call last):",
        '  File "/x/django/db/backends/base/base.py", line 279, in ensure_connection',
        "    self.connect()",
        "psycopg.OperationalError: connection failed: FATAL:  sorry, too many clients already",
        "2026-11-25 13:49:23,120 INFO [abc] access: POST /api/orders/ status=500 ms=30.0",
    ]
    stack.log_path("order").write_text("\n".join(traceback * 2) + "\n")
    stack.log_path("book").write_text("ValueError mentioned in a plain line is not a traceback\n")
    assert logged_errors(stack) == [
        ["order: psycopg.OperationalError: connection failed: FATAL:  sorry, too many clients already", 2]
    ]


# Importing locust patches the standard library for gevent, so the locustfile is read
# in a process of its own.
WEIGHTS = """
import json
from bench import locustfile
weights = {task.__name__: getattr(task, "locust_task_weight", 1) for task in set(locustfile.Customer.tasks)}
print(json.dumps({"weights": weights, "staff_users": locustfile.Staff.fixed_count}))
"""


@pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="make bench installs requirements-bench.txt")
def test_the_customers_mix_is_about_70_20_10_with_one_staff_user(tmp_path):
    shop = tmp_path / "shop.json"
    shop.write_text(json.dumps({"think_min": 0.5, "think_max": 1.5, "customers": [{"user_id": 1, "access": "t"}]}))
    read = subprocess.run(
        [sys.executable, "-c", WEIGHTS],
        env=os.environ | {"BENCH_SHOP": str(shop)},
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(read.stdout.splitlines()[-1])
    weights = found["weights"]
    total = sum(weights.values())
    browse = weights["browse_books"] + weights["search_books"] + weights["read_book"]
    cart = weights["add_to_cart"] + weights["view_cart"]
    assert (browse / total, cart / total, weights["check_out_and_pay"] / total) == (0.7, 0.2, 0.1)
    assert found["staff_users"] == 1


def test_a_locust_run_that_made_no_request_is_read_without_percentiles(tmp_path):
    """A run too short to send anything (locust writes N/A for its percentiles) is read,
    not a crash after a whole benchmark."""
    stats = tmp_path / "locust_stats.csv"
    header = "Type,Name,Request Count,Failure Count,Requests/s,50%,95%,99%"
    stats.write_text(f"{header}\nGET,/health/,0,0,0.0,N/A,N/A,N/A\n,Aggregated,12,1,6.0,15,34,46\n")

    rows = read_stats(stats)

    assert rows["GET /health/"] == {
        "requests": 0,
        "errors": 0,
        "requests_per_s": 0.0,
        "median_ms": None,
        "p95_ms": None,
        "p99_ms": None,
    }
    assert rows["overall"] == {
        "requests": 12,
        "errors": 1,
        "requests_per_s": 6.0,
        "median_ms": 15.0,
        "p95_ms": 34.0,
        "p99_ms": 46.0,
    }


def test_replicas_each_listen_on_a_port_of_their_own_behind_the_services_address(tmp_path):
    stack = ReplicatedStack(tmp_path, ports={"book": 2100, "order": 3000})
    stack.replica_ports = {"book": [41001, 41002], "order": [41003, 41004]}

    conf = nginx.conf(tmp_path, stack.balanced())

    assert "upstream book { server 127.0.0.1:41001; server 127.0.0.1:41002; keepalive 64; }" in conf
    assert "listen 127.0.0.1:2100;" in conf
    assert "proxy_pass http://order;" in conf
    assert conf.count("listen ") == 2
    assert [replica_key("book", n) for n in (1, 2)] == ["book", "book-replica2"]
