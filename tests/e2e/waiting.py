"""Waiting for what the system does by itself (the outbox, the sweeps) in a test, and
the stand-ins it talks to (a mailbox, an event subscriber) going down and back."""

import contextlib
import time


def wait_until(what: str, check, timeout: float = 20.0):
    """check()'s first true answer, asked every 0.2 s; an AssertionError naming `what`
    if none came within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        time.sleep(0.2)
    return result


class StandIn:
    """A test's stand-in server on a fixed port, which can be taken down and brought
    back on it, to see that what failed to reach it is sent again."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    @contextlib.contextmanager
    def down(self):
        """Nothing listens on the port inside the block: what is sent there is refused."""
        self.stop()
        try:
            yield
        finally:
            self.start()
