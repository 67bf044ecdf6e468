"""What machine a benchmark ran on, written beside its numbers."""

import datetime
import os
import platform
import subprocess


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
