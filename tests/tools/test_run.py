"""`make run` refuses to start when a port cannot be bound, naming what to change; what it
prints; the Redis it caches in."""

import errno
import socket

import redis

from tools.run import LOCAL_REDIS, banner, local_redis, port_problems


def test_a_taken_port_names_the_service_port_and_variable(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("CART_SERVICE_PORT", str(port))
        problems = port_problems("127.0.0.1")
    assert any(
        p.startswith(f"cart_service: port {port} ") and "already in use" in p and "CART_SERVICE_PORT" in p
        for p in problems
    ), problems


def test_a_privileged_port_says_it_needs_root(monkeypatch):
    real_bind = socket.socket.bind

    def bind(self, address):
        if address[1] == 1000:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_bind(self, ("127.0.0.1", 0))

    monkeypatch.setattr(socket.socket, "bind", bind)
    problems = port_problems("127.0.0.1")
    assert problems == [
        "gateway: port 1000 on 127.0.0.1 cannot be bound without root (ports below 1024 are privileged); "
        "set GATEWAY_PORT to use another port."
    ]


def test_the_banner_sends_staff_to_the_back_office_and_no_browser_to_a_service_port(monkeypatch):

    monkeypatch.delenv("GATEWAY_PORT", raising=False)
    text = banner("127.0.0.1")
    assert "Back office (every service's admin, one staff login): http://localhost:1000/admin/" in text
    # Browsers refuse some ports (payment's 6000): no service's own admin is offered.
    assert [line for line in text.splitlines() if "/admin/" in line and ":1000/" not in line] == []


class FakeRedis:
    def __init__(self, answers: bool):
        self.answers = answers

    def ping(self) -> bool:
        if not self.answers:
            raise redis.ConnectionError("Connection refused")
        return True


def test_a_local_redis_that_answers_is_used(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(redis.Redis, "from_url", lambda url, **options: FakeRedis(answers=True))

    assert local_redis() == {"REDIS_URL": LOCAL_REDIS}


def test_without_a_local_redis_each_process_caches_for_itself(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(redis.Redis, "from_url", lambda url, **options: FakeRedis(answers=False))

    assert local_redis() == {}


def test_the_callers_redis_is_left_as_it_is(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://elsewhere:6379/2")
    monkeypatch.setattr(redis.Redis, "from_url", lambda url, **options: FakeRedis(answers=True))

    assert local_redis() == {}  # the environment, passed on whole, already has it
