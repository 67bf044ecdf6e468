"""The rate-limit counter: one upsert statement that starts a window or adds one to it."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from routing.models import RateCounter
from routing.rate_limits import _count


@pytest.mark.django_db
def test_a_window_starts_at_one_and_counts_up():
    expires_at = time.time() + 60
    assert [_count("writes:user:1:0", expires_at=expires_at) for _ in range(3)] == [1, 2, 3]
    counter = RateCounter.objects.get(key="writes:user:1:0")
    assert (counter.count, counter.expires_at) == (3, expires_at)


@pytest.mark.django_db
def test_each_key_counts_on_its_own():
    expires_at = time.time() + 60
    _count("writes:user:1:0", expires_at=expires_at)
    assert _count("writes:user:2:0", expires_at=expires_at) == 1
    assert _count("writes:user:1:60", expires_at=expires_at + 60) == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_each_get_their_own_place_in_the_window():
    if connection.vendor != "postgresql":
        pytest.skip("the test database on SQLite is in memory, one connection; writers there are serialized anyway")
    expires_at = time.time() + 60

    def count(_):
        try:
            return _count("writes:user:race:0", expires_at=expires_at)
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=8) as pool:
        places = list(pool.map(count, range(40)))
    assert sorted(places) == list(range(1, 41))
