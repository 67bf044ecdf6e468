"""Health, readiness, docs, admin and error shape, as every service must serve them."""

from common.testing.platform_tests import *  # noqa: F403


def test_health_answers_without_database(client):  # type: ignore[no-redef]  # the gateway's own, in place of the shared one
    """The gateway's /health/ reports every service (none run here), not its own database."""
    response = client.get("/health/")
    assert response.status_code == 503
    services = {"book", "order", "customer", "cart", "payment", "notification", "inventory"}
    assert set(response.json()["not_ready"]) == services
