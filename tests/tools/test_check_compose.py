"""tools.check_compose catches a compose file that drifted from the code."""

import copy

import pytest
import yaml

from tools.check_compose import problems
from tools.stack import REPO_DIR


@pytest.fixture
def compose() -> dict:
    return yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())


def test_the_committed_file_matches(compose):
    assert problems(compose) == []


def test_a_wrong_port_a_wrong_database_and_a_missing_service_are_reported(compose):
    broken = copy.deepcopy(compose)
    broken["services"]["cart-service"]["environment"]["CART_SERVICE_PORT"] = "5001"
    broken["services"]["book-service"]["environment"]["DATABASE_URL"] = "postgres://postgres:postgres@db:5432/shared"
    del broken["services"]["payment-service"]
    found = problems(broken)
    assert "cart-service: CART_SERVICE_PORT is '5001', expected '5000'" in found
    assert any(p.startswith("book-service: DATABASE_URL") for p in found)
    assert "payment-service: missing" in found
