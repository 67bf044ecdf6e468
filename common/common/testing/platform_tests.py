"""Tests every service runs against its own settings and URLs: each service's
tests/test_platform.py imports them, so the platform is checked eight times
without being written eight times."""

import re

import pytest
from django.db import OperationalError, connection


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"] == response["X-Request-ID"]
    return error


def assert_not_found_alike(response, missing) -> None:
    """`response` (someone else's object) is the very 404 of `missing` (no object), the
    request ids and the ids the messages name aside: nothing tells which ids exist."""
    assert response.status_code == missing.status_code == 404, (response.content, missing.content)

    def alike(error: dict) -> dict:
        return {**error, "message": re.sub(r"\d+", "N", error["message"]), "request_id": None}

    assert alike(response.json()["error"]) == alike(missing.json()["error"])


def test_health_answers_without_database(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] in {"ok", "degraded"}


def test_request_id_is_kept_or_made(client):
    kept = client.get("/health/", HTTP_X_REQUEST_ID="trace-123")
    assert kept["X-Request-ID"] == "trace-123"
    replaced = client.get("/health/", HTTP_X_REQUEST_ID="bad id with spaces\n")
    assert replaced["X-Request-ID"] != "bad id with spaces\n"
    assert len(replaced["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_ready_when_database_answers(client):
    response = client.get("/ready/")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_ready_is_503_when_database_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    assert_error_shape(client.get("/ready/"), 503, "database_unavailable")


def test_openapi_schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_swagger_ui_and_its_assets_are_served_locally(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in html
    asset = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")
    assert asset.status_code == 200


@pytest.mark.django_db
def test_admin_login_page_is_styled(client):
    page = client.get("/admin/login/")
    assert page.status_code == 200
    assert b"/static/admin/css/base.css" in page.content
    assert client.get("/static/admin/css/base.css").status_code == 200


@pytest.mark.parametrize("path", ["/api/no-such-thing/", "/no-such-page/"])
def test_unknown_path_is_json_404(client, path):
    error = assert_error_shape(client.get(path), 404, "not_found")
    assert path in error["message"]


@pytest.mark.django_db
def test_admin_keeps_html_404(client):
    response = client.get("/admin/no-such-page/")
    assert response.status_code in {302, 404}  # login redirect or Django's page, never JSON
    assert not response.get("Content-Type", "").startswith("application/json")
