"""`make test`: every service's suite (in parallel, each with its own settings),
then the end-to-end, browser and fuzz suites (each starts its own stack, one after
the other); a summary line at the end.

    python -m tools.test                    all suites
    python -m tools.test book_service e2e   only these (common, a service folder, tools, e2e, browser or fuzz)
    python -m tools.test book_service -- -k search   extra pytest arguments after --

With DATABASE_SERVER_URL set (postgres://user@host:port), every suite runs on
PostgreSQL: one test database per service, created and dropped by the run.
"""

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from common.registry import SERVICES
from tools.pick import pick
from tools.stack import REPO_DIR

REPORTS = REPO_DIR / "var" / "test-reports"


@dataclass(frozen=True)
class Suite:
    name: str
    cwd: Path
    args: tuple[str, ...]


def all_suites() -> dict[str, Suite]:
    plugin = ("-p", "common.testing.plugin")
    suites = {"common": Suite("common", REPO_DIR / "common", (*plugin, "--ds=tests.settings", "tests"))}
    for service in SERVICES.values():
        suites[service.folder] = Suite(
            service.folder, REPO_DIR / service.folder, (*plugin, f"--ds={service.folder}.settings")
        )
    suites["tools"] = Suite("tools", REPO_DIR, ("tests/tools",))
    suites["e2e"] = Suite("e2e", REPO_DIR, ("tests/e2e",))
    # Headless Chromium through the gateway's back office, on a stack of its own.
    suites["browser"] = Suite("browser", REPO_DIR, ("tests/browser",))
    # Schemathesis against every schema on a live stack (a short run: FUZZ_MAX_EXAMPLES).
    suites["fuzz"] = Suite("fuzz", REPO_DIR, ("tests/fuzz",))
    return suites


# Suites that start all eight services: run alone, after the others, so they do not
# compete for the CPU with the unit suites or with each other.
STACK_SUITES = ("e2e", "browser", "fuzz")


@dataclass
class Result:
    suite: str
    returncode: int
    output: str
    seconds: float
    passed: int = 0
    failed: int = 0
    skipped: int = 0


def run(suite: Suite, extra: list[str]) -> Result:
    report = REPORTS / f"{suite.name}.xml"
    report.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *suite.args]
    started = time.monotonic()
    done = subprocess.run(command + extra, cwd=suite.cwd, capture_output=True, text=True)
    result = Result(suite.name, done.returncode, done.stdout + done.stderr, time.monotonic() - started)
    if report.exists():
        totals = ET.parse(report).getroot().find("testsuite").attrib  # noqa: S314 (our own report)
        result.failed = int(totals["failures"]) + int(totals["errors"])
        result.skipped = int(totals["skipped"])
        result.passed = int(totals["tests"]) - result.failed - result.skipped
    return result


def show(result: Result) -> None:
    status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
    print(f"\n===== {result.suite}: {status} in {result.seconds:.1f}s =====", flush=True)
    print(result.output.rstrip(), flush=True)


def main(argv: list[str]) -> int:
    names, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    chosen = pick(names, all_suites(), what="suite")
    if chosen is None:
        return 2
    REPORTS.mkdir(parents=True, exist_ok=True)
    database = os.environ.get("DATABASE_SERVER_URL") or "SQLite"
    print(f"Running {len(chosen)} suite(s) on {database}", flush=True)

    started = time.monotonic()
    units = [s for s in chosen if s.name not in STACK_SUITES]
    results = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for result in pool.map(lambda s: run(s, extra), units):
            show(result)
            results.append(result)
    for suite in (s for s in chosen if s.name in STACK_SUITES):
        results.append(run(suite, extra))
        show(results[-1])

    print(f"\n===== summary ({database}, {time.monotonic() - started:.0f}s) =====")
    for r in results:
        print(f"  {r.suite:<22} {r.passed:>4} passed {r.failed:>3} failed {r.skipped:>3} skipped  {r.seconds:6.1f}s")
    passed, failed = sum(r.passed for r in results), sum(r.failed for r in results)
    broken = [r.suite for r in results if r.returncode != 0]
    print(f"total: {passed} passed, {failed} failed")
    if broken:
        print(f"failing suites: {', '.join(broken)}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
