"""Run one process of `make run` and start it again whenever it exits by itself.

    python -m tools.supervise order -- python -m tools.serve order
    python -m tools.supervise order-dispatcher --cwd order_service -- python manage.py dispatch_events

honcho stops every process as soon as one exits; under this wrapper a service that
crashes or is killed is started again (after a pause that grows while it keeps
exiting soon after its start) and the others never notice. SIGTERM or SIGINT stops
the child, then the supervisor. The child runs in a process group of its own, so
`make restart` (tools/restart.py) can signal it and whatever it started, and its pid
is in <VAR_DIR>/run/<name>.pid.
"""

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tools.pid_file import HeldPidFile, pid_file_path

# Below honcho's KILL_WAIT (5 s), after which it kills the supervisor, not the child.
STOP_TIMEOUT = 4.0
_PR_SET_PDEATHSIG = 1


class Backoff:
    """The pause before a restart: `first` after a run that lasted `stable_after` seconds,
    doubling for each run in a row that ended sooner, at most `longest`."""

    def __init__(self, first: float = 0.5, longest: float = 5.0, stable_after: float = 10.0):
        self.first, self.longest, self.stable_after = first, longest, stable_after
        self._next = first

    def delay_after(self, uptime: float) -> float:
        if uptime >= self.stable_after:
            self._next = self.first
        delay = self._next
        self._next = min(self._next * 2, self.longest)
        return delay


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with code {returncode}"


def _die_with_supervisor() -> None:  # runs in the child before exec
    # If the supervisor is killed (honcho does after KILL_WAIT), the child must not live on.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _signal_group(child: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, sig)


class Supervisor:
    def __init__(self, name: str, command: list[str], cwd: Path | None = None):
        self.name, self.command, self.cwd = name, command, cwd
        self.backoff = Backoff()
        self.stop_signal: int | None = None

    def request_stop(self, signum: int, _frame=None) -> None:
        # A signal handler: only a flag, acted on by the polling loops below.
        self.stop_signal = signum

    def run(self) -> int:
        pid_file = HeldPidFile(pid_file_path(self.name))
        try:
            while self.stop_signal is None:
                started = time.monotonic()
                child = subprocess.Popen(
                    self.command, cwd=self.cwd, start_new_session=True, preexec_fn=_die_with_supervisor
                )
                pid_file.record(child.pid)
                returncode = self._wait(child)
                pid_file.record(None)
                if self.stop_signal is not None:
                    break
                uptime = time.monotonic() - started
                delay = self.backoff.delay_after(uptime)
                self._log(f"{describe_exit(returncode)} after {uptime:.1f} s; restarting in {delay:.1f} s")
                self._sleep(delay)
        finally:
            pid_file.remove()
        return 0

    def _wait(self, child: subprocess.Popen) -> int:
        """The child's exit code; on a stop request, SIGTERM to its group, then SIGKILL."""
        kill_at = None
        while (returncode := child.poll()) is None:
            if self.stop_signal is not None and kill_at is None:
                _signal_group(child, signal.SIGTERM)
                kill_at = time.monotonic() + STOP_TIMEOUT
            elif kill_at is not None and time.monotonic() > kill_at:
                self._log(f"did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM; sending SIGKILL")
                _signal_group(child, signal.SIGKILL)
                kill_at = float("inf")  # once
            time.sleep(0.05)
        return returncode

    def _sleep(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while self.stop_signal is None and time.monotonic() < until:
            time.sleep(0.05)

    def _log(self, message: str) -> None:
        print(f"supervise: {self.name} {message}", flush=True)


def supervised(name: str, command: list[str], cwd: Path | None = None) -> list[str]:
    """`command` under this supervisor, as make run starts it."""
    return [sys.executable, "-m", "tools.supervise", name, *(["--cwd", str(cwd)] if cwd else []), "--", *command]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.supervise", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the process's name in make run (its pid file is <VAR_DIR>/run/<name>.pid)")
    parser.add_argument("--cwd", type=Path, help="the child's working directory")
    parser.add_argument("command", nargs="+", help="the command to run, after --")
    args = parser.parse_args()
    supervisor = Supervisor(args.name, args.command, args.cwd)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, supervisor.request_stop)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
