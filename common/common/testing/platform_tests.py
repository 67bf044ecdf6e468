"""Tests every service runs against its own settings and URLs: each service's
tests/test_platform.py imports them, so the platform is checked eight times
without being written eight times."""

import re
from typing import Any, NoReturn

import pytest
from django.db import OperationalError, connection
from django.test import Client

# A response of Django's test client (its .json() is patched on, typed in no public class).
Response = Any


def assert_error_shape(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"] == response["X-Request-ID"]
    return error


def assert_not_found_alike(response: Response, missing: Response) -> None:
    """`response` (someone else's object) is the very 404 of `missing` (no object), the
    request ids and the ids the messages name aside: nothing tells which ids exist."""
    assert response.status_code == missing.status_code == 404, (response.content, missing.content)

    def alike(error: dict[str, Any]) -> dict[str, Any]:
        return {**error, "message": re.sub(r"\d+", "N", error["message"]), "request_id": None}

    assert alike(response.json()["error"]) == alike(missing.json()["error"])


def test_health_answers_without_database(client: Client) -> None:
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] in {"ok", "degraded"}


def test_request_id_is_kept_or_made(client: Client) -> None:
    kept = client.get("/health/", HTTP_X_REQUEST_ID="trace-123")
    assert kept["X-Request-ID"] == "trace-123"
    replaced = client.get("/health/", HTTP_X_REQUEST_ID="bad id with spaces\n")
    assert replaced["X-Request-ID"] != "bad id with spaces\n"
    assert len(replaced["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_ready_when_database_answers(client: Client) -> None:
    response = client.get("/ready/")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_ready_is_503_when_database_fails(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_cursor(*args: Any, **kwargs: Any) -> NoReturn:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    assert_error_shape(client.get("/ready/"), 503, "database_unavailable")


def test_openapi_schema(client: Client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_swagger_ui_and_its_assets_are_served_locally(client: Client) -> None:
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in html
    asset = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")
    assert asset.status_code == 200


@pytest.mark.django_db
def test_admin_login_page_is_styled(client: Client) -> None:
    page = client.get("/admin/login/")
    assert page.status_code == 200
    assert b"/static/admin/css/base.css" in page.content
    assert client.get("/static/admin/css/base.css").status_code == 200


@pytest.mark.parametrize("path", ["/api/no-such-thing/", "/no-such-page/"])
def test_unknown_path_is_json_404(client: Client, path: str) -> None:
    error = assert_error_shape(client.get(path), 404, "not_found")
    assert path in error["message"]


@pytest.mark.django_db
def test_admin_keeps_html_404(client: Client) -> None:
    response = client.get("/admin/no-such-page/")
    assert response.status_code in {302, 404}  # login redirect or Django's page, never JSON
    assert not response.get("Content-Type", "").startswith("application/json")


@pytest.mark.django_db
def test_metrics_parse_and_count_requests(client: Client) -> None:
    """/metrics (common.metrics) parses as Prometheus reads it, with every collector the
    service registered (the outbox's and the emails' query its own database)."""
    from prometheus_client.parser import text_string_to_metric_families

    client.get("/health/")
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    families = {family.name: family for family in text_string_to_metric_families(response.content.decode())}
    assert {"http_server_requests", "http_server_request_duration_seconds", "db_connections_open"} <= set(families)
    health = [s for s in families["http_server_requests"].samples if s.labels.get("route") == "health/"]
    assert health
    assert "scrape_errors" not in {name for name, family in families.items() if family.samples}
