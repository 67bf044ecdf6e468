"""bench.purchase: the statements read from each service's /metrics, the medians over
rounds, and the report of a tree whose services do not count statements."""

import pytest

pytest.importorskip("psutil", reason="make bench installs requirements-bench.txt")

import responses

from bench.purchase import counters, markdown, medians
from common.registry import SERVICES


class FakeStack:
    def url(self, name: str) -> str:
        return f"http://{name}.test"


@responses.activate
def test_counters_sum_each_services_labels_and_leave_out_the_scrapes_and_a_missing_metric():
    for name in SERVICES:
        body = (
            "# TYPE http_server_requests_total counter\n"
            f'http_server_requests_total{{service="{name}",route="api/x/",method="GET",status="200"}} 5.0\n'
            f'http_server_requests_total{{service="{name}",route="api/x/",method="POST",status="201"}} 2.0\n'
            f'http_server_requests_total{{service="{name}",route="metrics",method="GET",status="200"}} 9.0\n'
        )
        if name != "customer":
            body += (
                "# TYPE db_statements_total counter\n"
                f'db_statements_total{{service="{name}",alias="default"}} 10.0\n'
                f'db_statements_total{{service="{name}",alias="other"}} 2.0\n'
            )
        responses.get(f"http://{name}.test/metrics", body=body)

    counted = counters(FakeStack())

    assert counted["requests"]["order"] == 7.0  # the 9 scrapes of /metrics left out
    assert counted["statements"]["order"] == 12.0
    assert "customer" not in counted["statements"]
    assert "calls" not in counted  # no service had made a call


def test_medians_over_rounds_and_a_report_without_statements():
    rounds = [
        {"cpu_ms": {"order": 40.0, "cart": 20.0}, "statements": {}, "step_median_ms": {"checkout": 50.0}},
        {"cpu_ms": {"order": 44.0, "cart": 21.0}, "statements": {}, "step_median_ms": {"checkout": 70.0}},
        {"cpu_ms": {"order": 42.0, "cart": 30.0}, "statements": {}, "step_median_ms": {"checkout": 60.0}},
    ]
    assert medians(rounds, "cpu_ms") == {"order": 42.0, "cart": 21.0}

    result = {
        "cpu_ms_by_process": medians(rounds, "cpu_ms"),
        "cpu_ms": 63.0,
        "postgres_cpu_ms": 9.0,
        "statements_by_service": {},
        "statements": None,
        "step_median_ms": medians(rounds, "step_median_ms"),
    }
    run = {"commit": "abc", "command": "python -m bench.purchase", "started": "now", "database": "postgres"}
    report = {
        "runs": {
            "baseline": {
                "machine": {"cpu": "x"},
                "run": run | {"rounds": 3, "purchases": 5, "warmup": 1},
                "result": result,
            }
        }
    }

    text = markdown(report)

    assert "Statements per purchase: **(not counted)**" in text
    assert "| order | 42.0 |  |  |  |" in text
    assert text.index("| order |") < text.index("| cart |")  # the costliest first
