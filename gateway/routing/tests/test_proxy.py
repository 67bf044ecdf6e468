import pytest

from common.auth import mint_access_token
from routing import proxy
from routing.routes import ROUTES


@pytest.mark.django_db
def test_forwards_method_path_query_body_and_headers(client, upstream):
    token = mint_access_token(user_id=1, username="staff", is_staff=True)
    response = client.generic(
        "POST",
        "/api/books/?author=3&q=%20x",
        data=b'{"title": "T"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY="key-1",
        HTTP_CONNECTION="close, X-Private",
        HTTP_X_PRIVATE="connection-only",
        HTTP_KEEP_ALIVE="300",
        HTTP_X_REQUEST_ID="req-42",
    )
    [seen] = upstream.seen
    assert seen["method"] == "POST"
    assert seen["target"] == "/api/books/?author=3&q=%20x"
    assert seen["body"] == b'{"title": "T"}'
    headers = seen["headers"]
    assert headers["Authorization"] == f"Bearer {token}"
    assert headers["Idempotency-Key"] == "key-1"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Request-ID"] == "req-42"
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-Host"] == "testserver"
    assert "X-Private" not in headers
    assert "Keep-Alive" not in headers
    assert response.status_code == 201
    assert response["X-Upstream"] == "book"
    assert response["X-Request-ID"] == "req-42"
    assert response.json() == {"ok": True, "path": "/api/books/?author=3&q=%20x"}


@pytest.mark.django_db
def test_each_cookie_a_service_sets_is_passed_back_as_it_wrote_it(upstream):
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    from routing.handler import gateway_application

    sent = {}
    environ = RequestFactory()._base_environ(PATH_INFO="/api/books/cookies/", REQUEST_METHOD="GET")
    gateway_application(WSGIHandler())(environ, lambda status, headers: sent.update(headers=headers)).close()

    # Two headers, as the service wrote them: joined with a comma they would be one cookie
    # with the other's Max-Age=0.
    assert [value for name, value in sent["headers"] if name == "Set-Cookie"] == [
        "book_csrftoken=abc; expires=Fri, 03 Dec 2027 05:12:26 GMT; Path=/",
        'book_messages=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/',
    ]


SPOOFED = {
    "HTTP_X_FORWARDED_FOR": "203.0.113.9",
    "HTTP_X_FORWARDED_HOST": "evil.example",
    "HTTP_X_FORWARDED_PROTO": "https",
    "HTTP_X_FORWARDED_PORT": "443",
    "HTTP_X_REAL_IP": "203.0.113.9",
    "HTTP_FORWARDED": "for=203.0.113.9;host=evil.example",
}


def test_a_clients_own_forwarded_headers_are_replaced_by_the_gateways(client, upstream):
    client.get("/api/authors/", **SPOOFED)

    headers = upstream.seen[0]["headers"]
    assert (headers["X-Forwarded-For"], headers["X-Forwarded-Host"], headers["X-Forwarded-Proto"]) == (
        "127.0.0.1",
        "testserver",
        "http",
    )
    assert not {"X-Forwarded-Port", "X-Real-Ip", "Forwarded"} & set(headers)


def test_a_proxy_in_front_of_the_gateway_is_believed_when_trusted(client, upstream, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "shop.example"]

    client.get("/api/authors/", **SPOOFED | {"HTTP_X_FORWARDED_HOST": "shop.example"})

    headers = upstream.seen[0]["headers"]
    assert (headers["X-Forwarded-For"], headers["X-Forwarded-Host"], headers["X-Forwarded-Proto"]) == (
        "203.0.113.9",
        "shop.example",
        "https",
    )


@pytest.mark.parametrize("resource", sorted(r for r, s in ROUTES.items() if s == "book"))
def test_every_book_prefix_goes_to_book_service(client, upstream, resource):
    assert client.get(f"/api/{resource}/1/").status_code == 201
    assert upstream.seen[0]["target"] == f"/api/{resource}/1/"


def test_slow_service_is_504_within_the_read_timeout(client, upstream, settings):
    settings.GATEWAY_READ_TIMEOUT = 0.2
    response = client.get("/api/books/slow/")
    assert response.status_code == 504
    error = response.json()["error"]
    assert error["code"] == "service_timeout"
    assert error["details"] == {"service": "book"}
    assert error["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_stopped_service_is_503(client, settings, monkeypatch, closed_port_url):
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "cart": closed_port_url}
    proxy.pools.forget()
    token = mint_access_token(user_id=7, username="u7")
    response = client.delete("/api/carts/7/items/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["details"] == {"service": "cart"}


def test_unknown_resource_is_404_without_calling_anyone(client, upstream):
    response = client.get("/api/unicorns/1/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert upstream.seen == []


def test_service_schema_is_proxied_from_the_service(client, upstream):
    response = client.get("/api/schema/book/")
    assert response.status_code == 201  # whatever the service answered, unchanged
    assert upstream.seen[0]["target"] == "/api/schema/"
    assert client.get("/api/schema/unicorn/").status_code == 404


def test_health_is_503_naming_the_services_that_are_not_ready(client, upstream):
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["services"]["book"]["status"] == "ready"
    assert body["services"]["book"]["latency_ms"] >= 0
    assert body["services"]["cart"]["status"] in {"down", "not_ready"}
    assert body["status"] == "degraded"
    assert "cart" in body["not_ready"]
    assert "book" not in body["not_ready"]


def test_health_is_200_when_every_service_is_ready(client, upstream, settings, monkeypatch):
    url = settings.SERVICE_URLS["book"]
    settings.SERVICE_URLS = {name: url for name in settings.SERVICE_URLS}
    proxy.pools.forget()
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "not_ready" not in response.json()
