"""Restart one process of a running `make run` without stopping the others.

    make restart SERVICE=order          python -m tools.restart order
    make restart SERVICE=order KILL=1   python -m tools.restart order --kill (SIGKILL, as a crash)

Names: the services (gateway, book, order, ...) and the outbox dispatchers
(order-dispatcher, payment-dispatcher, customer-dispatcher). It signals the process's
group (SIGTERM, or SIGKILL with --kill); its supervisor (tools/supervise.py) starts it
again; this waits until the new process runs and, for a service, answers /ready/,
and prints how long that took. It finds make run through <VAR_DIR>/run/ and the
service through HOST and its *_PORT variable: give it the same ones as make run.
"""

import argparse
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

from common.outbox import DISPATCHING_SERVICES
from common.registry import SERVICES
from tools.pid_file import NotRunningError, pid_file_path, running_pid
from tools.run import probe_url
from tools.stack import wait_ready


class RestartError(Exception):
    pass


def process_names() -> list[str]:
    return [*SERVICES, *(f"{name}-dispatcher" for name in DISPATCHING_SERVICES)]


def restart(name: str, *, kill: bool = False, timeout: float = 60.0) -> str:
    """Signals `name`, waits until it is back; what happened, in a line."""
    path = pid_file_path(name)
    try:
        old_pid = running_pid(path)
    except NotRunningError as exc:
        raise RestartError(f"make run is not running ({exc}); start it with `make run`") from None
    if old_pid is None:
        raise RestartError(f"{name} is between two starts right now (see make run's log); try again in a moment")
    sig = signal.SIGKILL if kill else signal.SIGTERM
    started = time.monotonic()
    deadline = started + timeout
    with contextlib.suppress(ProcessLookupError):  # it exited on its own just now: it is restarting anyway
        os.killpg(old_pid, sig)
    new_pid = _wait_for_new_pid(name, path, old_pid, deadline)
    if name not in SERVICES:  # a dispatcher: started is all there is to wait for
        return f"{name}: {sig.name} to pid {old_pid}; started again as pid {new_pid} {_since(started)}"
    url = probe_url(name)
    if wait_ready({name: url}, timeout=max(deadline - time.monotonic(), 0)):
        raise RestartError(
            f"{name} (pid {new_pid}) did not answer {url}/ready/ within {timeout:.0f} s: see make run's log "
            "(if make run listens on other ports, give this the same *_PORT variables)"
        )
    return f"{name}: {sig.name} to pid {old_pid}; pid {new_pid} answers {url}/ready/ {_since(started)}"


def _since(started: float) -> str:
    return f"{time.monotonic() - started:.1f} s later"


def _wait_for_new_pid(name: str, path: Path, old_pid: int, deadline: float) -> int:
    while time.monotonic() < deadline:
        try:
            pid = running_pid(path)
        except NotRunningError:
            raise RestartError(f"make run stopped while {name} was restarting") from None
        if pid not in (None, old_pid):
            return pid
        time.sleep(0.05)
    raise RestartError(f"{name} was not started again in time: see make run's log")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.restart", description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=process_names(), metavar="name", help=", ".join(process_names()))
    parser.add_argument("--kill", action="store_true", help="SIGKILL instead of SIGTERM, as a crash would")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait until it is back (60)")
    args = parser.parse_args(argv)
    try:
        print(restart(args.name, kill=args.kill, timeout=args.timeout), flush=True)
    except RestartError as exc:
        print(f"restart: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
