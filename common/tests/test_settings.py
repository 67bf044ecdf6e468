"""common.settings: environment parsing, database and service URLs, SQLite tuning."""

import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django import db
from django.db.utils import ConnectionHandler

from common.settings import (
    ImproperlyConfiguredEnv,
    database_config,
    database_url,
    env_bool,
    env_float,
    env_int,
    service_port,
    service_url,
)

VAR = "BOOKSTORE_TEST_VALUE"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), (" Yes ", True), ("ON", True), ("0", False), ("false", False), ("", False)],
)
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv(VAR, raw)

    assert env_bool(VAR, default=not expected) is expected


@pytest.mark.parametrize(("parse", "default"), [(env_bool, True), (env_int, 7), (env_float, 0.5)])
def test_unset_variable_is_the_default(monkeypatch, parse, default):
    monkeypatch.delenv(VAR, raising=False)

    assert parse(VAR, default) == default


def test_env_int_and_float(monkeypatch):
    monkeypatch.setenv(VAR, "42")
    assert env_int(VAR, 1) == 42
    monkeypatch.setenv(VAR, "2.5")
    assert env_float(VAR, 1.0) == 2.5


@pytest.mark.parametrize(("parse", "raw"), [(env_bool, "maybe"), (env_int, "2.5"), (env_int, "ten"), (env_float, "")])
def test_bad_value_names_the_variable(monkeypatch, parse, raw):
    monkeypatch.setenv(VAR, raw)

    with pytest.raises(ImproperlyConfiguredEnv, match=VAR):
        parse(VAR, 1)


@pytest.fixture
def no_database_env(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_SERVER_URL", raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    return tmp_path / "var"


def test_database_url_is_a_sqlite_file_under_var_dir(no_database_env):
    url = database_url("book", Path("/nowhere"))

    assert url == f"sqlite:///{no_database_env / 'book.sqlite3'}"
    assert no_database_env.is_dir()


def test_database_url_without_var_dir_is_under_the_repository(monkeypatch, no_database_env, tmp_path):
    monkeypatch.delenv("VAR_DIR")

    assert database_url("cart", tmp_path) == f"sqlite:///{tmp_path / 'var' / 'cart.sqlite3'}"


def test_database_server_url_gets_one_database_per_service(monkeypatch, no_database_env):
    monkeypatch.setenv("DATABASE_SERVER_URL", "postgres://app@db:5432/")

    assert database_url("order", Path("/nowhere")) == "postgres://app@db:5432/bookstore_order"


def test_database_url_wins(monkeypatch, no_database_env):
    monkeypatch.setenv("DATABASE_SERVER_URL", "postgres://app@db:5432")
    monkeypatch.setenv("DATABASE_URL", "postgres://app@other:5432/mine")

    assert database_url("order", Path("/nowhere")) == "postgres://app@other:5432/mine"


@pytest.fixture
def no_service_env(monkeypatch):
    monkeypatch.delenv("BOOK_SERVICE_URL", raising=False)
    monkeypatch.delenv("BOOK_SERVICE_PORT", raising=False)


def test_service_url_defaults_to_its_port_on_this_machine(no_service_env):
    assert service_port("book") == 2100
    assert service_url("book") == "http://127.0.0.1:2100"


def test_service_port_variable_moves_it(monkeypatch, no_service_env):
    monkeypatch.setenv("BOOK_SERVICE_PORT", "2199")

    assert service_port("book") == 2199
    assert service_url("book") == "http://127.0.0.1:2199"


def test_service_url_variable_overrides(monkeypatch, no_service_env):
    monkeypatch.setenv("BOOK_SERVICE_PORT", "2199")
    monkeypatch.setenv("BOOK_SERVICE_URL", "http://books.internal:80/")

    assert service_url("book") == "http://books.internal:80"


def test_sqlite_opens_in_wal_mode_with_a_busy_timeout(monkeypatch, tmp_path, django_db_blocker):
    monkeypatch.delenv("SQLITE_BUSY_TIMEOUT", raising=False)
    # A handler of its own (it needs a "default" alias), apart from the test database.
    connections = ConnectionHandler({"default": database_config(f"sqlite:///{tmp_path / 'x.sqlite3'}")})
    try:
        with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            journal_mode = cursor.fetchone()[0]
            cursor.execute("PRAGMA busy_timeout")
            busy_timeout = cursor.fetchone()[0]
    finally:
        connections.close_all()

    assert journal_mode == "wal"
    assert busy_timeout == 20000


def test_postgres_config_pools_connections_per_process(monkeypatch):
    monkeypatch.delenv("DB_POOL_MAX_SIZE", raising=False)
    monkeypatch.delenv("DB_POOL_TIMEOUT", raising=False)

    config = database_config("postgres://app:secret@db:5432/bookstore_book")

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "bookstore_book"
    assert config["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections
    assert config["OPTIONS"]["pool"]["max_size"] == 4
    assert config["OPTIONS"]["pool"]["timeout"] == 10.0


def test_postgres_without_the_pool_keeps_a_connection_per_thread(monkeypatch):
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "0")
    monkeypatch.delenv("DB_CONN_MAX_AGE", raising=False)

    config = database_config("postgres://app:secret@db:5432/bookstore_book")

    assert "pool" not in config.get("OPTIONS", {})
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True


def own_pool(alias: str, config: dict) -> ConnectionHandler:
    """A handler with `config` under an alias of its own: Django keeps one pool per alias
    in the process, and the suite's own database may be pooled under "default"."""
    return ConnectionHandler({"default": {"ENGINE": "django.db.backends.dummy"}, alias: config})


@pytest.mark.skipif(not os.environ.get("DATABASE_SERVER_URL"), reason="needs a PostgreSQL server (DATABASE_SERVER_URL)")
def test_many_threads_share_the_pools_few_connections(monkeypatch, django_db_blocker):
    """Sixteen threads each running a query at once hold no more than the pool's two
    connections on the server; the ones that wait get a connection when one is given back."""
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "2")
    server = os.environ["DATABASE_SERVER_URL"].rstrip("/")
    config = database_config(f"{server}/postgres")
    name = f"pool-test-{uuid.uuid4().hex[:8]}"
    config["OPTIONS"]["application_name"] = name
    connections = own_pool(name, config)
    started = threading.Barrier(16)

    def query(_: int) -> int:
        started.wait()
        try:
            with connections[name].cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [name])
                held = cursor.fetchone()[0]
                cursor.execute("SELECT pg_sleep(0.05)")
                return held
        finally:
            connections[name].close()  # back to the pool, as Django does at a request's end

    try:
        with django_db_blocker.unblock(), ThreadPoolExecutor(16) as threads:
            held = list(threads.map(query, range(16)))
    finally:
        connections[name].close_pool()

    assert len(held) == 16
    assert max(held) <= 2


@pytest.mark.skipif(not os.environ.get("DATABASE_SERVER_URL"), reason="needs a PostgreSQL server (DATABASE_SERVER_URL)")
def test_a_thread_waiting_past_the_pool_timeout_gets_an_operational_error(monkeypatch, django_db_blocker):
    """What common.errors answers 503 (database unavailable) with, after DB_POOL_TIMEOUT:
    never a request waiting for ever."""
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "1")
    monkeypatch.setenv("DB_POOL_TIMEOUT", "0.2")
    config = database_config(f"{os.environ['DATABASE_SERVER_URL'].rstrip('/')}/postgres")
    name = f"pool-test-{uuid.uuid4().hex[:8]}"
    connections = own_pool(name, config)
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with connections[name].cursor() as cursor:
            cursor.execute("SELECT 1")
            holding.set()
            done.wait(5)
        connections[name].close()

    try:
        with django_db_blocker.unblock(), ThreadPoolExecutor(1) as other:
            held = other.submit(hold)
            assert holding.wait(5)
            with pytest.raises(db.OperationalError):
                connections[name].ensure_connection()
            done.set()
            held.result()
    finally:
        connections[name].close_pool()
