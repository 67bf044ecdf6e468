"""common.lazy.PerKey: one object per key, made once even when threads race for it."""

import threading

from common.lazy import PerKey, forget_all


def test_one_object_per_key_made_on_first_use():
    made = []
    per_key = PerKey(lambda key: made.append(key) or f"object of {key}")
    assert per_key.get("a") == per_key.get("a") == "object of a"
    assert per_key.get("b") == "object of b"
    assert made == ["a", "b"]


def test_threads_racing_for_a_new_key_make_it_once():
    made = []
    start = threading.Barrier(8)

    def make(key):
        made.append(key)
        return object()

    per_key = PerKey(make)
    got = []

    def race():
        start.wait()
        got.append(per_key.get("shared"))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert made == ["shared"]
    assert len({id(obj) for obj in got}) == 1


def test_forgetting_makes_each_anew():
    made = []
    first, second = PerKey(lambda key: made.append(key) or key), PerKey(lambda key: made.append(key) or key)
    first.get("a")
    second.get("b")
    first.get("a")  # kept
    forget_all()
    first.get("a")
    second.get("b")
    assert made == ["a", "b", "a", "b"]
