"""The gateway in front of the real services: routing, health and failures."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from common.registry import SERVICES
from tests.e2e.shop import bearer

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
    assert css.status_code == 200  # served by whitenoise under waitress


def test_unknown_path_is_json_404_with_the_request_id(stack, http):
    response = http.get(f"{stack.gateway}/api/no-such-resource/1/", headers={"X-Request-ID": "e2e-unknown-1"})
    assert_error(response, 404, "not_found", request_id="e2e-unknown-1")


def test_a_service_404_comes_back_unchanged(stack, http):
    response = http.get(f"{stack.gateway}/api/books/no-such-route/", headers={"X-Request-ID": "e2e-book-404"})
    error = assert_error(response, 404, "not_found", request_id="e2e-book-404")
    assert "/api/books/no-such-route/" in error["message"]


def test_request_id_reaches_the_service_log(stack, http):
    headers = {"X-Request-ID": "e2e-trace-7f3a", **bearer(stack.token(user_id=1))}
    http.get(f"{stack.gateway}/api/carts/1/", headers=headers)
    # The service writes its access line just before it sends the response; wait briefly anyway.
    deadline = time.monotonic() + 10
    while "[e2e-trace-7f3a]" not in stack.log_path("cart").read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "[e2e-trace-7f3a]" in stack.log_path("cart").read_text()


def test_stopped_service_is_503_in_the_error_shape(stack, http):
    with stack.stopped("cart"):
        headers = {"X-Request-ID": "e2e-down-1", **bearer(stack.token(user_id=1))}
        response = http.get(f"{stack.gateway}/api/carts/1/", headers=headers)
        error = assert_error(response, 503, "service_unavailable", request_id="e2e-down-1")
        assert error["details"] == {"service": "cart"}
        health = http.get(f"{stack.gateway}/health/")
        assert health.status_code == 503
        assert health.json()["status"] == "degraded"
        assert health.json()["services"]["cart"]["status"] == "down"
        assert health.json()["not_ready"] == ["cart"]
    assert http.get(f"{stack.gateway}/health/").status_code == 200


def test_unresponsive_service_is_504_in_the_error_shape(stack, http):
    with stack.paused("inventory"):
        headers = {"X-Request-ID": "e2e-slow-1", **bearer(stack.token(user_id=1, is_staff=True))}
        response = http.get(f"{stack.gateway}/api/warehouse/", headers=headers)
        error = assert_error(response, 504, "service_timeout", request_id="e2e-slow-1")
        assert error["details"] == {"service": "inventory"}


def test_concurrent_requests_through_the_gateway(stack, http):
    def call(i: int) -> tuple[int, str]:
        response = http.get(f"{stack.gateway}/api/schema/book/", headers={"X-Request-ID": f"e2e-burst-{i}"})
        return response.status_code, response.headers["X-Request-ID"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(call, range(64)))
    assert results == [(200, f"e2e-burst-{i}") for i in range(64)]


@pytest.mark.parametrize("token", [None, "forged.jwt.token", "expired"])
def test_a_protected_route_is_401_at_the_gateway(stack, http, token):
    if token == "expired":
        token = stack.token(user_id=1, lifetime_seconds=-5)
    headers = bearer(token) if token else {}
    response = http.get(f"{stack.gateway}/api/orders/", headers=headers)
    assert_error(response, 401, "token_not_valid" if token else "not_authenticated")


def test_public_routes_need_no_token(stack, http):
    assert http.get(f"{stack.gateway}/api/books/").status_code == 200
    assert http.get(f"{stack.gateway}/api/categories/").status_code == 200


def test_the_breaker_answers_at_once_while_a_service_is_down_and_closes_after(stack, http):
    headers = bearer(stack.token(user_id=1, is_staff=True))
    with stack.stopped("payment"):
        statuses = [http.get(f"{stack.gateway}/api/payments/1/", headers=headers) for _ in range(6)]
        assert [r.status_code for r in statuses] == [503] * 6
        assert "Retry-After" in statuses[-1].headers  # refused by the open breaker
    time.sleep(1.1)  # the e2e stack's cool-down
    response = http.get(f"{stack.gateway}/api/payments/1/", headers=headers)
    assert response.status_code not in (503, 504)  # the trial reached payment_service


def test_an_oversized_body_is_413(stack, http):
    headers = {**bearer(stack.token(user_id=1, is_staff=True)), "Content-Type": "application/json"}
    response = http.post(f"{stack.gateway}/api/books/", data=b"x" * (1024 * 1024 + 1), headers=headers)
    assert_error(response, 413, "payload_too_large")


def test_login_rate_limit_on_a_gateway_with_low_limits(stack, http):
    with stack.extra_gateway(GATEWAY_RATE_LOGIN="2/min") as gateway:
        statuses = [http.post(f"{gateway}/api/auth/login/", json={}).status_code for _ in range(3)]
        assert statuses[2] == 429
        assert 429 not in statuses[:2]
        refused = http.post(f"{gateway}/api/auth/login/", json={})
        assert int(refused.headers["Retry-After"]) >= 1
