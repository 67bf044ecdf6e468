"""common.cache: the services' cache settings, and Redis that forgives being away."""

import os
import uuid

import pytest

from common.cache import ForgivingRedisCache
from common.settings import cache_settings


def test_without_redis_each_process_caches_in_its_own_memory(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)

    assert cache_settings("book")["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_with_redis_keys_are_kept_apart_by_shop_and_service(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("CACHE_KEY_PREFIX", "shop-a")

    config = cache_settings("book")["default"]

    assert config["BACKEND"] == "common.cache.ForgivingRedisCache"
    assert (config["LOCATION"], config["KEY_PREFIX"]) == ("redis://cache:6379/0", "shop-a:book")
    assert config["OPTIONS"] == {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}


def test_an_unreachable_redis_is_a_miss_and_a_dropped_write():
    cache = ForgivingRedisCache("redis://127.0.0.1:9/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})

    cache.set("k", "v")
    assert cache.get("k", "default") == "default"
    assert cache.get_many(["k"]) == {}
    assert cache.add("k", "v") is False


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="no Redis to talk to (REDIS_URL unset)")
def test_a_reachable_redis_keeps_what_it_is_given():
    cache = ForgivingRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})

    cache.set("k", {"price": "12.00"}, 30)
    assert cache.add("k", "other") is False
    assert cache.get("k") == {"price": "12.00"}
    assert cache.delete("k") is True
    assert cache.get("k") is None
