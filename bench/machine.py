"""What machine a benchmark ran on, written beside its numbers, and where they are written."""

import datetime
import json
import os
import platform
import subprocess
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def describe(database_server: str | None = None) -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    info = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_gb, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
    }
    if database_server:
        version = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
        info["postgresql_client"] = version
    return info


def write_results(name: str, report: dict, markdown: str) -> None:
    """bench/results/<name>.json (the numbers and the machine) and <name>.md (the table)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown)
    print(f"written to {RESULTS / name}.md")
