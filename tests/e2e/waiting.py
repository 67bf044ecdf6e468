"""Waiting for what the system does by itself (the outbox, the sweeps) in a test."""

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
