"""The circuit breaker on its own, with a clock the tests move."""

import threading

import pytest
from urllib3.exceptions import NewConnectionError, ReadTimeoutError

from routing.breakers import CLOSED, HALF_OPEN, OPEN, BreakerOpen, CircuitBreaker


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def breaker(clock):
    return CircuitBreaker("book", fail_max=3, reset_seconds=15, clock=clock)


def fail(breaker, error=None):
    error = error or ReadTimeoutError(None, "/", "read timed out")
    with pytest.raises(type(error)), breaker.guard():
        raise error


def succeed(breaker):
    with breaker.guard():
        pass


def test_opens_after_fail_max_consecutive_failures(breaker):
    fail(breaker)
    fail(breaker)
    succeed(breaker)  # a success in between starts the count again
    fail(breaker)
    fail(breaker)
    assert breaker.state == CLOSED
    fail(breaker)
    assert breaker.state == OPEN


def test_open_refuses_at_once_with_the_seconds_until_the_trial(breaker, clock):
    for _ in range(3):
        fail(breaker)
    clock.now += 10.5
    with pytest.raises(BreakerOpen) as refused, breaker.guard():
        pytest.fail("the block must not run while the breaker is open")
    assert refused.value.retry_after == 5


def test_after_the_cool_down_one_trial_goes_through_and_its_success_closes(breaker, clock):
    for _ in range(3):
        fail(breaker)
    clock.now += 15
    assert breaker.state == HALF_OPEN
    # While the trial is out, everyone else is still refused.
    with breaker.guard(), pytest.raises(BreakerOpen), breaker.guard():
        pass
    assert breaker.state == CLOSED
    succeed(breaker)


def test_a_failed_trial_opens_for_another_cool_down(breaker, clock):
    for _ in range(3):
        fail(breaker)
    clock.now += 15
    fail(breaker, NewConnectionError(None, "refused"))
    assert breaker.state == OPEN
    with pytest.raises(BreakerOpen) as refused, breaker.guard():
        pass
    assert refused.value.retry_after == 15


def test_a_late_success_of_a_call_made_before_opening_does_not_close(breaker):
    started = threading.Event()
    release = threading.Event()

    def slow_call():
        with breaker.guard():
            started.set()
            release.wait(5)

    straggler = threading.Thread(target=slow_call)
    straggler.start()
    started.wait(5)
    for _ in range(3):
        fail(breaker)
    release.set()
    straggler.join()
    assert breaker.state == OPEN


def test_other_exceptions_do_not_count_and_free_the_trial(breaker, clock):
    for _ in range(3):
        fail(breaker)
    clock.now += 15
    with pytest.raises(ValueError, match="a bug"), breaker.guard():
        raise ValueError("a bug in the caller, not the service failing")
    assert breaker.state == CLOSED


def test_calls_through_one_breaker_run_side_by_side(breaker):
    # pybreaker held its lock for the whole call: a second caller waited for the first.
    inside = threading.Barrier(4, timeout=5)

    def call():
        with breaker.guard():
            inside.wait()  # raises BrokenBarrierError unless all four are inside at once

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not inside.broken
