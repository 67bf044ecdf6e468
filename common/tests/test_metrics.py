"""common.metrics: /metrics parses as Prometheus reads it and its counters move with
requests (by route template, never the raw path), calls to peers are counted by outcome,
the outbox's backlog is read at scrape time, and /metrics is refused to anyone outside
METRICS_ALLOWED, through a proxy, or without METRICS_TOKEN when one is set."""

import pytest
import requests
from django.db import connection, connections
from django.db.backends.signals import connection_created
from prometheus_client.parser import text_string_to_metric_families

from common import metrics
from common.errors import ServiceUnavailable
from common.http import client_for
from common.metrics import REGISTRY
from common.outbox import metrics as outbox_metrics
from common.outbox import publisher


def scrape(client, **extra) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_template_method_and_status(client):
    before = scrape(client)
    client.get("/health/")
    client.get("/health/")
    client.get("/carts/7/")
    client.get("/carts/8/")
    client.get("/no-such-page/")
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, service="book", **labels) - value(before, name, service="book", **labels)

    assert moved("http_server_requests_total", route="health/", method="GET", status="200") == 2
    assert moved("http_server_requests_total", route="carts/<int:user_id>/", method="GET", status="401") == 2
    assert moved("http_server_requests_total", route="unmatched", method="GET", status="404") == 1
    assert moved("http_server_request_duration_seconds_count", route="health/", method="GET") == 2
    assert moved("http_server_request_duration_seconds_bucket", route="health/", method="GET", le="+Inf") == 2
    assert not [name for name, labels in after if any("/7/" in str(v) for _, v in labels)]  # no raw path


@pytest.mark.django_db
def test_open_database_connections_are_counted(client):
    client.get("/ready/")  # reads the database
    assert value(scrape(client), "db_connections_open", service="book", alias="default") >= 1


@pytest.mark.django_db
def test_statements_are_counted_once_each_across_reconnections():
    def counted() -> float:
        return REGISTRY.get_sample_value("db_statements_total", {"service": "book", "alias": "default"}) or 0.0

    connection.ensure_connection()
    before = counted()
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("SELECT 1")
    assert counted() - before == 3

    # What Django says at each new connection, and with the pool at each borrow.
    wrapper = connections["default"]
    connection_created.send(sender=type(wrapper), connection=wrapper)
    before = counted()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert counted() - before == 1
    assert connection.execute_wrappers.count(metrics._count_statement) == 1


@pytest.mark.django_db
def test_a_pooled_database_reports_its_pool(client, settings):
    if not settings.DATABASES["default"].get("OPTIONS", {}).get("pool"):
        pytest.skip("only PostgreSQL is pooled (DB_POOL_MAX_SIZE)")
    client.get("/ready/")
    samples = scrape(client)
    labels = {"service": "book", "alias": "default"}

    assert value(samples, "db_pool_connections_in_use", **labels) >= 1  # this test's transaction holds one
    assert value(samples, "db_connections_open", **labels) >= value(samples, "db_pool_connections_in_use", **labels)
    assert ("db_pool_requests_waiting", frozenset(labels.items())) in samples
    assert ("db_pool_wait_seconds_total", frozenset(labels.items())) in samples


def test_calls_to_peers_are_counted_by_peer_and_outcome(client, mocked_responses, settings):
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "cart": "http://cart.test"}
    mocked_responses.get("http://cart.test/ok/", json={})
    mocked_responses.get("http://cart.test/missing/", status=404, json={})
    mocked_responses.get("http://cart.test/down/", body=requests.ConnectionError("refused"))
    before = scrape(client)
    client_for("cart").get("/ok/")
    client_for("cart").get("/missing/")
    with pytest.raises(ServiceUnavailable):
        client_for("cart").get("/down/")
    after = scrape(client)
    for outcome in ("2xx", "4xx", "unavailable"):
        labels = {"service": "book", "peer": "cart", "outcome": outcome}
        assert (
            value(after, "http_client_requests_total", **labels) - value(before, "http_client_requests_total", **labels)
            == 1
        )
    count = {"service": "book", "peer": "cart"}
    assert (
        value(after, "http_client_request_duration_seconds_count", **count)
        - value(before, "http_client_request_duration_seconds_count", **count)
        == 3
    )


def test_a_call_is_counted_under_the_service_name_of_the_moment(client, mocked_responses, settings):
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "cart": "http://cart.test"}
    mocked_responses.get("http://cart.test/ok/", json={})
    client_for("cart").get("/ok/")  # the name read before it changes
    settings.SERVICE_NAME = "renamed"
    before = scrape(client)
    client_for("cart").get("/ok/")
    after = scrape(client)
    labels = {"service": "renamed", "peer": "cart", "outcome": "2xx"}
    calls = value(after, "http_client_requests_total", **labels) - value(before, "http_client_requests_total", **labels)
    assert calls == 1


@pytest.mark.django_db
def test_the_outbox_backlog_is_read_when_scraped(outbox_settings, django_capture_on_commit_callbacks):
    def gauges():
        return {metric.name: metric.samples[0].value for metric in outbox_metrics.read()}

    assert gauges() == {
        "outbox_backlog": 0,
        "outbox_oldest_waiting_age_seconds": 0,
        "outbox_failing": 0,
        "outbox_parked": 0,
    }
    publisher.publish("thing.happened", {"n": 1}, key="thing:1")  # two subscribers, two deliveries
    read = gauges()
    assert read["outbox_backlog"] == 2
    assert 0 <= read["outbox_oldest_waiting_age_seconds"] < 60
    assert (read["outbox_failing"], read["outbox_parked"]) == (0, 0)


@pytest.mark.parametrize(
    ("extra", "allowed"),
    [
        ({"REMOTE_ADDR": "127.0.0.1"}, True),
        ({"REMOTE_ADDR": "10.1.2.3"}, True),  # a pod, the compose network
        ({"REMOTE_ADDR": "203.0.113.7"}, False),  # the internet
        ({"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}, False),  # an ingress in front
        ({"REMOTE_ADDR": "127.0.0.1", "HTTP_FORWARDED": "for=203.0.113.7"}, False),
        ({"REMOTE_ADDR": "not an address"}, False),
    ],
)
def test_metrics_are_served_to_the_monitoring_network_only(client, extra, allowed):
    response = client.get("/metrics", **extra)
    assert response.status_code == (200 if allowed else 403), response.content
    if not allowed:
        assert response.json()["error"]["code"] == "permission_denied"
        assert b"http_server_requests_total" not in response.content


def test_with_a_token_set_metrics_need_it(client, settings):
    settings.METRICS_TOKEN = "s3cret-scraper"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scraper").status_code == 200
    # The token does not open it to the internet.
    outside = {"REMOTE_ADDR": "203.0.113.7", "HTTP_AUTHORIZATION": "Bearer s3cret-scraper"}
    assert client.get("/metrics", **outside).status_code == 403


def test_metrics_networks_come_from_the_setting(client, settings):
    settings.METRICS_ALLOWED = ["192.0.2.0/24"]
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
