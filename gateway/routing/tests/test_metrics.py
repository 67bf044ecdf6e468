"""The gateway's metrics (common.metrics): forwarded requests counted by their prefix
(forwarding resolves no route), calls to each service by outcome, each service's circuit
breaker, rate-limit refusals; its /metrics is its own, refused through a proxy, and
never forwarded to a service."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from common.auth import mint_access_token
from routing import proxy
from routing.breakers import breakers
from routing.rates import Rate


def scrape(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def moved(before, after, name, **labels) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_forwarded_requests_and_calls_are_counted_by_prefix_and_outcome(client, upstream):
    before = scrape(client)
    assert client.get("/api/books/1/").status_code == 201
    assert client.get("/api/books/2/").status_code == 201
    after = scrape(client)
    route = {"service": "gateway", "route": "api/books/*", "method": "GET"}
    assert moved(before, after, "http_server_requests_total", status="201", **route) == 2
    assert moved(before, after, "http_server_request_duration_seconds_count", **route) == 2
    assert moved(before, after, "http_client_requests_total", service="gateway", peer="book", outcome="2xx") == 2
    assert upstream.seen
    assert not [s for s in upstream.seen if s["target"] == "/metrics"]


@pytest.mark.django_db
def test_a_service_that_is_down_is_counted_and_its_breaker_shown_open(client, settings, closed_port_url):
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "cart": closed_port_url}
    settings.GATEWAY_BREAKER_FAILURES = 2
    proxy.pools.forget()
    breakers.forget()
    token = mint_access_token(user_id=7, username="u7")
    before = scrape(client)
    assert before[("gateway_circuit_breaker_state", frozenset({"peer": "cart"}.items()))] == 0
    statuses = [client.get("/api/carts/7/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code for _ in range(3)]
    assert statuses == [503, 503, 503]
    after = scrape(client)
    assert after[("gateway_circuit_breaker_state", frozenset({"peer": "cart"}.items()))] == 2  # open
    calls = {"service": "gateway", "peer": "cart"}
    assert moved(before, after, "http_client_requests_total", outcome="unavailable", **calls) == 2
    assert moved(before, after, "http_client_requests_total", outcome="breaker_open", **calls) == 1


@pytest.mark.django_db
def test_rate_limit_refusals_are_counted_by_limit(client, upstream, settings):
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "customer": settings.SERVICE_URLS["book"]}
    settings.GATEWAY_RATE_LIMITS = {**settings.GATEWAY_RATE_LIMITS, "login": Rate(1, 60)}
    before = scrape(client)
    statuses = [client.post("/api/auth/login/", data={}, content_type="application/json").status_code for _ in range(3)]
    assert statuses == [201, 429, 429]
    assert moved(before, scrape(client), "gateway_rate_limit_refusals_total", limit="login") == 2


def test_the_gateways_metrics_are_refused_through_a_proxy_and_not_forwarded(client, upstream):
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 403
    assert client.get("/api/metrics").status_code == 404
    assert upstream.seen == []
