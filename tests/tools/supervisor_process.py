"""tools/supervise.py as make run starts it, around a tiny `python -c` child instead of
a service, for the tests of the supervisor and of `make restart`."""

import contextlib
import subprocess
import sys
import time
from pathlib import Path

from tools.pid_file import NotRunningError, pid_file_path, running_pid
from tools.stack import REPO_DIR
from tools.supervise import supervised


@contextlib.contextmanager
def running_supervisor(name: str, child_code: str, log: Path):
    """The supervisor's process, its output in `log`; always stopped afterwards."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            supervised(name, [sys.executable, "-c", child_code]),
            cwd=REPO_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


def wait_for(condition, timeout: float = 10.0, what: str = "the condition"):
    """condition()'s first true value, polled until `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def child_pid(name: str, other_than: int | None = None) -> int:
    """The pid its supervisor recorded for `name` (waiting for one, and for a new one if given)."""

    def recorded():
        with contextlib.suppress(NotRunningError):
            pid = running_pid(pid_file_path(name))
            return pid if pid != other_than else None
        return None

    return wait_for(recorded, what=f"a pid for {name}")


def is_alive(pid: int) -> bool:
    """Runs (a zombie does not count: PID 1 of a container may never reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}
