"""The gateway in front of the real services: routing, health and failures."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from common.services import SERVICES

PEERS = [name for name in SERVICES if name != "gateway"]


def assert_error(response, status: int, code: str, request_id: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["X-Request-ID"]
    if request_id:
        assert error["request_id"] == request_id
    return error


def test_gateway_health_reports_every_service_ready(stack, http):
    response = http.get(f"{stack.gateway}/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: s["status"] for name, s in body["services"].items()} == dict.fromkeys(PEERS, "ready")


@pytest.mark.parametrize("name", PEERS)
def test_every_service_answers_through_the_gateway(stack, http, name):
    response = http.get(f"{stack.gateway}/api/schema/{name}/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json()["info"]["title"] == f"Bookstore {name} API"


@pytest.mark.parametrize("name", list(SERVICES))
def test_every_service_is_ready_and_documented(stack, http, name):
    assert http.get(f"{stack.url(name)}/ready/").json()["database"] == "ok"
    docs = http.get(f"{stack.url(name)}/api/docs/")
    assert docs.status_code == 200
    css = http.get(f"{stack.url(name)}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")
    assert css.status_code == 200  # served by whitenoise under gunicorn


def test_unknown_path_is_json_404_with_the_request_id(stack, http):
    response = http.get(f"{stack.gateway}/api/no-such-resource/1/", headers={"X-Request-ID": "e2e-unknown-1"})
    assert_error(response, 404, "not_found", request_id="e2e-unknown-1")


def test_a_service_404_comes_back_unchanged(stack, http):
    response = http.get(f"{stack.gateway}/api/books/no-such-route/", headers={"X-Request-ID": "e2e-book-404"})
    error = assert_error(response, 404, "not_found", request_id="e2e-book-404")
    assert "/api/books/no-such-route/" in error["message"]


def test_request_id_reaches_the_service_log(stack, http):
    http.get(f"{stack.gateway}/api/carts/1/", headers={"X-Request-ID": "e2e-trace-7f3a"})
    # gunicorn writes the access line just after sending the response: wait for it, briefly.
    deadline = time.monotonic() + 10
    while "[e2e-trace-7f3a]" not in stack.log_path("cart").read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "[e2e-trace-7f3a]" in stack.log_path("cart").read_text()


def test_stopped_service_is_503_in_the_error_shape(stack, http):
    with stack.stopped("cart"):
        response = http.get(f"{stack.gateway}/api/carts/1/", headers={"X-Request-ID": "e2e-down-1"})
        error = assert_error(response, 503, "service_unavailable", request_id="e2e-down-1")
        assert error["details"] == {"service": "cart"}
        health = http.get(f"{stack.gateway}/health/").json()
        assert health["status"] == "degraded"
        assert health["services"]["cart"]["status"] == "down"
    assert http.get(f"{stack.gateway}/health/").json()["status"] == "ok"


def test_unresponsive_service_is_504_in_the_error_shape(stack, http):
    with stack.paused("inventory"):
        response = http.get(f"{stack.gateway}/api/warehouse/", headers={"X-Request-ID": "e2e-slow-1"})
        error = assert_error(response, 504, "service_timeout", request_id="e2e-slow-1")
        assert error["details"] == {"service": "inventory"}


def test_concurrent_requests_through_the_gateway(stack, http):
    def call(i: int) -> tuple[int, str]:
        response = http.get(f"{stack.gateway}/api/schema/book/", headers={"X-Request-ID": f"e2e-burst-{i}"})
        return response.status_code, response.headers["X-Request-ID"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(call, range(64)))
    assert results == [(200, f"e2e-burst-{i}") for i in range(64)]
