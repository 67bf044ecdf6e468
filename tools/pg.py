"""Creating and dropping the services' PostgreSQL databases on one server."""

import psycopg
from psycopg import sql


def _admin_connection(server_url: str) -> psycopg.Connection:
    return psycopg.connect(f"{server_url.rstrip('/')}/postgres", autocommit=True, connect_timeout=5)


def create_databases(server_url: str, names: list[str], *, exist_ok: bool) -> None:
    with _admin_connection(server_url) as conn:
        existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        for name in names:
            if name in existing and exist_ok:
                continue
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_databases(server_url: str, names: list[str]) -> None:
    with _admin_connection(server_url) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
