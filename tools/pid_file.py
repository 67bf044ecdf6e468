"""The pid file of one supervised process of `make run` (tools/supervise.py), read by
`make restart` (tools/restart.py).

<VAR_DIR>/run/<name>.pid holds the pid of the running child, and is empty while its
supervisor waits to start it again. The supervisor keeps the file locked for as long
as it runs, so a file left behind by a stack that was killed reads as "not running"
instead of naming a pid that may belong to another program by now.
"""

import fcntl
import os
from pathlib import Path

from common.settings import var_dir
from tools.stack import REPO_DIR


class NotRunningError(Exception):
    """No supervisor holds the pid file: `make run` is not running (with this VAR_DIR)."""


class AlreadySupervisedError(Exception):
    """Another supervisor holds the pid file."""


def pid_file_path(name: str) -> Path:
    return var_dir(REPO_DIR) / "run" / f"{name}.pid"


class HeldPidFile:
    """The supervisor's side: created and locked when it starts, removed when it stops."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise AlreadySupervisedError(f"{path} is held by another supervisor") from None
        self.record(None)  # a file left by a killed stack names a pid that is not ours

    def record(self, pid: int | None) -> None:
        os.ftruncate(self._fd, 0)
        if pid is not None:
            os.pwrite(self._fd, f"{pid}\n".encode(), 0)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        os.close(self._fd)


def running_pid(path: Path) -> int | None:
    """The child's pid, or None between its exit and its restart; NotRunningError if no
    supervisor holds the file."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise NotRunningError(f"no {path}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # held: its supervisor is running
            text = os.pread(fd, 32, 0).strip()
            return int(text) if text else None
        raise NotRunningError(f"{path} is left over from a stack that was stopped or killed")
    finally:
        os.close(fd)
