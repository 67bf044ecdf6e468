"""What the single-endpoint benchmarks share: wrk's output read into numbers, the
CPU time of the processes under test, and the check that the tools are there."""

import re
import shutil
import subprocess
import sys

import psutil

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def missing_tools(tools: tuple[str, ...], install_hint: str) -> bool:
    """Says which tools are missing (and how to install them) on stderr; True if any is."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        print(f"missing: {', '.join(missing)} ({install_hint})", file=sys.stderr)
    return bool(missing)


def parse_wrk(output: str) -> dict:
    def ms(text: str) -> float:
        number, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return round(float(number) * _UNITS_MS[unit], 3)

    percentiles = dict(re.findall(r"^\s+(\d+)%\s+(\S+)", output, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "median_ms": ms(percentiles["50"]),
        "p99_ms": ms(percentiles["99"]),
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def cpu_seconds(process: subprocess.Popen) -> float:
    """User and system CPU time of a process and its children (nginx's worker, say)."""
    root = psutil.Process(process.pid)
    return sum(sum(p.cpu_times()[:2]) for p in [root, *root.children(recursive=True)])


def run_wrk(
    url: str, connections: int, seconds: int, measured: dict[str, subprocess.Popen], *, warm_up: bool = True
) -> dict:
    """wrk's numbers (after a 1 s warm-up unless told not), and the CPU time each
    measured process spent per request meanwhile."""
    threads = min(connections, 2)
    if warm_up:
        subprocess.run(["wrk", "-t1", "-c1", "-d1s", url], capture_output=True, check=True)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    before = {name: cpu_seconds(process) for name, process in measured.items()}
    row = parse_wrk(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    row["cpu_ms_per_request"] = {
        name: round((cpu_seconds(process) - before[name]) / max(row["requests"], 1) * 1000, 3)
        for name, process in measured.items()
    }
    return row
