"""What PostgreSQL says about the services' connections (nothing on SQLite)."""

import psycopg

from common.registry import SERVICES
from tests.e2e.harness import Stack


def database_sessions(stack: Stack) -> dict[str, int]:
    """PostgreSQL's count of the connections ever opened to each service's database."""
    if not stack.database_server:
        return {}
    names = {stack._database_name(name): name for name in SERVICES}
    with psycopg.connect(f"{stack.database_server.rstrip('/')}/postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT datname, sessions FROM pg_stat_database WHERE datname = ANY(%s)", [list(names)])
        return {names[datname]: sessions for datname, sessions in rows}


def database_connections(stack: Stack) -> tuple[int, int]:
    """(connections the stack's services hold now, the server's max_connections): the
    server is shared, and a full one refuses new connections, which services answer 500."""
    if not stack.database_server:
        return 0, 0
    names = [stack._database_name(name) for name in SERVICES]
    with psycopg.connect(f"{stack.database_server.rstrip('/')}/postgres", autocommit=True) as conn:
        held = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = ANY(%s)", [names]).fetchone()[0]
        return held, int(conn.execute("SHOW max_connections").fetchone()[0])
