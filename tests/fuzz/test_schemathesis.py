"""Schemathesis against every service's OpenAPI schema and the gateway's, on live
services (a Stack), with tokens so the cases reach the business code.

Each service is fuzzed once per caller: staff and a customer on every route but the
ones only services may call, and a service token on those (events, reservations).
Checks: no 5xx, the status code, content type and body match the schema, and
schema-violating data is refused with a 4xx.

`make test` runs a bounded pass (FUZZ_MAX_EXAMPLES per operation, a fixed seed so CI
is repeatable, and the customer only in the random phases: the schema-driven coverage
phase is the same for every caller and staff runs it); `make fuzz` a long one with a
new seed and every phase for every caller (FUZZ_ALL_PHASES=1). The requests tried are
counted from Schemathesis' HAR report and written to var/test-reports/fuzz/.
"""

import json
import os
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
import requests

from common.registry import SERVICES
from tests.e2e.harness import JWT_SIGNING_KEY
from tools.stack import REPO_DIR

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "5"))
SEED = os.environ.get("FUZZ_SEED", "1")  # "random" for a new one each run
ALL_PHASES = os.environ.get("FUZZ_ALL_PHASES") == "1"
REPORTS = REPO_DIR / "var" / "test-reports" / "fuzz"
CONFIG = Path(__file__).with_name("schemathesis.toml")
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)
# Routes that refuse every caller but another service (common.permissions.IsService).
SERVICE_ONLY_PATHS = r"^/api/(events/|warehouse/reservations/)"
# The services that have such routes (checked against the schemas below).
HAVE_SERVICE_ONLY_ROUTES = ("book", "order", "cart", "payment", "notification", "inventory")
STAFF_ID, CUSTOMER_ID = 1, 2


@dataclass(frozen=True)
class Caller:
    name: str
    claims: dict
    # Which operations this caller is sent to: "include" or "exclude" SERVICE_ONLY_PATHS.
    service_only: str
    # Schemathesis' phases in the bounded run (all of them unless FUZZ_ALL_PHASES=1).
    phases: str = "examples,coverage,fuzzing,stateful"


CALLERS = (
    Caller(
        "staff", {"user_id": STAFF_ID, "username": "fuzz-staff", "is_staff": True, "email_verified": True}, "exclude"
    ),
    Caller(
        "customer",
        {"user_id": CUSTOMER_ID, "username": "fuzz-customer", "is_staff": False, "email_verified": True},
        "exclude",
        phases="fuzzing,stateful",
    ),
    Caller("service", {"user_id": None, "username": "service:order", "is_staff": False, "service": "order"}, "include"),
)


def token(caller: Caller) -> str:
    """An access token as customer_service (or common.auth.service_token) would sign it."""
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 3600, "iat": now, "jti": uuid.uuid4().hex, **caller.claims}
    return jwt.encode(claims, JWT_SIGNING_KEY, algorithm="HS256")


def cases() -> list:
    return [
        pytest.param(service, caller, id=f"{service}-{caller.name}")
        for service in SERVICES
        for caller in CALLERS
        if caller.service_only == "exclude" or service in HAVE_SERVICE_ONLY_ROUTES
    ]


@pytest.fixture(scope="module")
def schemas(stack) -> dict[str, dict]:
    with requests.Session() as http:
        return {name: http.get(f"{stack.url(name)}/api/schema/?format=json", timeout=30).json() for name in SERVICES}


def test_the_services_with_service_only_routes_are_the_ones_fuzzed_with_a_service_token(schemas):
    found = {name for name, schema in schemas.items() if any(map(_service_only, schema["paths"]))}

    assert found == set(HAVE_SERVICE_ONLY_ROUTES)


def _service_only(path: str) -> bool:
    return re.match(SERVICE_ONLY_PATHS, path) is not None


@pytest.mark.parametrize(("service", "caller"), cases())
def test_schema_holds_under_fuzzing(stack, service, caller, tmp_path):
    has_service_only = service in HAVE_SERVICE_ONLY_ROUTES
    report_dir = tmp_path / "report"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--no-color",
        "--config-file",
        str(CONFIG),
        "run",
        f"{stack.url(service)}/api/schema/?format=json",
        "--header",
        f"Authorization: Bearer {token(caller)}",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing,stateful" if ALL_PHASES else caller.phases,
        # One worker: with two, Schemathesis 4.32 raised a KeyError inside its coverage phase.
        "--workers",
        "1",
        "--request-timeout",
        "15",
        "--report",
        "json,har",
        "--report-dir",
        str(report_dir),
        "--output-truncate",
        "true",
        # The tokens are the test stack's own: show whole requests, so a failure can be replayed.
        "--output-sanitize",
        "false",
    ]
    if has_service_only:
        command += [f"--{caller.service_only}-path-regex", SERVICE_ONLY_PATHS]
    if SEED != "random":
        command += ["--seed", SEED]
    # cwd: Hypothesis keeps its example database in the working directory.
    # Ends a run that hangs; the bound grows with the examples asked for.
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600 + 60 * MAX_EXAMPLES)
    requests_tried = record(service, caller, report_dir)
    print(f"{service} as {caller.name}: {requests_tried} requests")
    assert done.returncode == 0, f"{service} as {caller.name}: {requests_tried} requests\n{done.stdout}\n{done.stderr}"
    assert requests_tried > 0


def record(service: str, caller: Caller, report_dir) -> int:
    """The requests sent (HAR entries), written to var/test-reports/fuzz/<service>-<caller>.json."""
    har = next(report_dir.glob("har-*.json"), None)
    summary = next(report_dir.glob("json-*.json"), None)
    requests_tried = len(json.loads(har.read_text())["log"]["entries"]) if har else 0
    run = json.loads(summary.read_text()) if summary else {}
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{service}-{caller.name}.json").write_text(
        json.dumps(
            {
                "service": service,
                "caller": caller.name,
                "max_examples": MAX_EXAMPLES,
                "phases": run.get("phases"),
                "seed": run.get("seed"),
                "requests": requests_tried,
                "operations": run.get("operations", {}).get("tested"),
                "test_cases": run.get("test_cases"),
                "failures": run.get("failures"),
            },
            indent=2,
        )
    )
    return requests_tried
