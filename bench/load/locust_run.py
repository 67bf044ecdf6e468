"""locust, headless, driving bench/locustfile.py's users, and what its CSV files say."""

import csv
import os
import subprocess
import sys
from pathlib import Path

from tools.stack import REPO_DIR

LOCUST = Path(sys.executable).with_name("locust")


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
    rows = read_stats(Path(f"{prefix}_stats.csv"))
    failures = []
    with open(f"{prefix}_failures.csv", newline="") as listed:
        failures = [
            {"endpoint": f"{r['Method']} {r['Name']}", "error": r["Error"][:300], "count": int(r["Occurrences"])}
            for r in csv.DictReader(listed)
        ]
    return {"endpoints": rows, "failures": failures}


def _ms(value: str) -> float | None:
    return None if value == "N/A" else float(value)  # locust's percentile of a row with no requests


def read_stats(path: Path) -> dict[str, dict]:
    """locust's stats CSV as rows by endpoint ("overall" for its aggregate)."""
    rows = {}
    with path.open(newline="") as stats:
        for row in csv.DictReader(stats):
            name = "overall" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
            rows[name] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "requests_per_s": round(float(row["Requests/s"]), 1),
                "median_ms": _ms(row["50%"]),
                "p95_ms": _ms(row["95%"]),
                "p99_ms": _ms(row["99%"]),
            }
    return rows
