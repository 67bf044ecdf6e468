"""The services' logs after a run: the exceptions in them, and a copy kept (--keep-logs)."""

import shutil
from collections import Counter
from pathlib import Path

from tests.e2e.harness import Stack


def logged_errors(stack: Stack, top: int = 10) -> list[list]:
    """The exceptions in the services' logs (the last line of each traceback), most
    frequent first, so the failures of a run come with their cause."""
    found = Counter()
    for name in stack.processes:
        previous_indented = False
        for line in stack.log_path(name).read_text(errors="replace").splitlines():
            starts_flush = not line.startswith((" ", "\t"))
            if previous_indented and starts_flush and ("Error" in line or "Exception" in line):
                found[f"{name}: {line[:300]}"] += 1
            previous_indented = line.startswith("  ")
    return [[error, count] for error, count in found.most_common(top)]


def keep_logs(stack: Stack, directory: Path) -> None:
    """Copies every service's log (access lines with request ids included) out of the
    temporary directory, to follow slow requests across services afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in stack.processes:
        if stack.log_path(name).exists():
            shutil.copy(stack.log_path(name), directory / stack.log_path(name).name)
    print(f"logs kept in {directory}", flush=True)
