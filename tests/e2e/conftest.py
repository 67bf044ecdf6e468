import os

import pytest
import requests

from tests.e2e.harness import Stack


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """All eight services, started once for the session (SQLite files in a temporary
    folder, or fresh PostgreSQL databases when DATABASE_SERVER_URL is set)."""
    stack = Stack(tmp_path_factory.mktemp("e2e"), database_server=os.environ.get("DATABASE_SERVER_URL") or None)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session
