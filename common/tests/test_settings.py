"""common.settings: environment parsing, database and service URLs, SQLite tuning."""

from pathlib import Path

import pytest
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


def test_postgres_config_keeps_persistent_connections(monkeypatch):
    monkeypatch.delenv("DB_CONN_MAX_AGE", raising=False)

    config = database_config("postgres://app:secret@db:5432/bookstore_book")

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "bookstore_book"
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True
