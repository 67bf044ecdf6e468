"""The one-pass forwarding (routing.handler.OnePassForwarding) answers as the Django
chain does (ForwardingHandler): for each request of the table, both are called as a
server calls them, and the status line, the headers in their order, the body, the
metrics counted, the access-log line and Django's own request log are the same."""

import io
import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from types import SimpleNamespace

import pytest
from django.core.handlers.wsgi import WSGIHandler

from common.auth import mint_access_token
from common.metrics import REGISTRY
from common.testing.database import database_kept_open
from conftest import book_stand_in, wsgi_answer
from routing import breakers, proxy, rate_limits
from routing.handler import ForwardingHandler, OnePassForwarding, gateway_application
from routing.rates import Rate

_JSON = "Content-Type: application/json\r\n"
# What the stand-in service answers, by path: the status line and headers (Content-Length added).
ANSWERS = {
    "/api/books/1/": f"HTTP/1.1 200 OK\r\n{_JSON}Vary: Accept\r\nAllow: GET, HEAD\r\nX-Request-ID: theirs\r\n",
    "/api/books/": f"HTTP/1.1 201 Created\r\n{_JSON}Location: /api/books/9/\r\n",
    "/api/books/999": f"HTTP/1.1 404 Not Found\r\n{_JSON}",
    "/api/books/bare/": "HTTP/1.1 200 OK\r\n",  # no Content-Type: none passed back
    "/api/books/framed/": f"HTTP/1.1 200 OK\r\n{_JSON}X-Frame-Options: SAMEORIGIN\r\nvary: *\r\n",
    "/api/books/repeated/": f"HTTP/1.1 200 OK\r\nX-Tag: a\r\n{_JSON}x-tag: b\r\nConnection: keep-alive\r\n",
    "/api/books/cookies/": f"HTTP/1.1 200 OK\r\n{_JSON}Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=; Max-Age=0\r\n",
    "/api/books/latin/": f"HTTP/1.1 200 OK\r\n{_JSON}X-Name: caf\xe9\r\n",
    "/api/books/broken-value/": f"HTTP/1.1 200 OK\r\n{_JSON}X-Broken: a\rb\r\n",
    "/api/books/bad-gateway/": f"HTTP/1.1 502 Bad Gateway\r\n{_JSON}",
    "/api/books/odd-status/": f"HTTP/1.1 599 Whatever\r\n{_JSON}",
    "/api/books/no-status/": f"HTTP/1.1 600 Past\r\n{_JSON}",
    "/api/books/no-content/": "HTTP/1.1 204 No Content\r\n",
}


class StandIn(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        path = self.path.split("?")[0]
        if path == "/api/books/slow/":
            threading.Event().wait(0.5)
        head = ANSWERS.get(path, ANSWERS["/api/books/1/"])
        body = b"" if "204" in head else json.dumps({"path": self.path}).encode()
        self.wfile.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode("latin-1") + body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _handle

    def log_message(self, *args):
        pass


@pytest.fixture
def stand_in(settings):
    with book_stand_in(settings, StandIn) as server:
        yield server


@dataclass
class Seen:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    metrics: dict
    logged: list[tuple[str, str, str]]


def environ(method: str, path: str, *, body: bytes = b"", query: str = "", **extra: str) -> dict:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "1000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost:1000",
        "HTTP_X_REQUEST_ID": "same-id",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "CONTENT_TYPE": "application/json" if body else "",
        **extra,
    }


_COUNTED = re.compile(r"_(total|count)$")


def counted() -> dict:
    """Every count in the registry (requests, calls, refusals), without times."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in REGISTRY.collect()
        for sample in family.samples
        if _COUNTED.search(sample.name) and not sample.name.startswith("process_")
    }


def served(application, env: dict, caplog) -> Seen:
    before = counted()
    caplog.clear()
    status, headers, body = wsgi_answer(application, env)
    after = counted()
    changed = {key: value - before.get(key, 0) for key, value in after.items() if value != before.get(key, 0)}
    # The access line's milliseconds differ from one call to the next.
    logged = [(r.name, r.levelname, re.sub(r"ms=[\d.]+", "ms=_", r.getMessage())) for r in caplog.records]
    return Seen(status, headers, body, changed, logged)


def token(**claims) -> str:
    return f"Bearer {mint_access_token(user_id=5, username='user5', **claims)}"


CASES = {
    "a book read": ("GET", "/api/books/1/", {}),
    "a search": ("GET", "/api/books/search/", {"query": "search_term=tieng%20viet&page=2"}),
    "without a trailing slash": ("GET", "/api/books", {}),
    "a 404 of the service without a trailing slash": ("GET", "/api/books/999", {}),
    "HEAD": ("HEAD", "/api/books/1/", {}),
    "no Content-Type": ("GET", "/api/books/bare/", {}),
    "the service's own X-Frame-Options and Vary": ("GET", "/api/books/framed/", {}),
    "a repeated header, a hop-by-hop one": ("GET", "/api/books/repeated/", {}),
    "cookies of the service": ("GET", "/api/books/cookies/", {}),
    "a latin-1 header value": ("GET", "/api/books/latin/", {}),
    "a header value with a line break": ("GET", "/api/books/broken-value/", {}),
    "the service's 502": ("GET", "/api/books/bad-gateway/", {}),
    "a status Django does not name": ("GET", "/api/books/odd-status/", {}),
    "a status over 599": ("GET", "/api/books/no-status/", {}),
    "204": ("DELETE", "/api/books/no-content/", {"HTTP_AUTHORIZATION": "token"}),
    "no request id": ("GET", "/api/books/1/", {"HTTP_X_REQUEST_ID": ""}),
    "a request id not kept": ("GET", "/api/books/1/", {"HTTP_X_REQUEST_ID": "not kept\n"}),
    "a write with a token": ("POST", "/api/books/", {"body": b'{"title": "T"}', "HTTP_AUTHORIZATION": "token"}),
    "a service's write": ("POST", "/api/books/", {"body": b"{}", "HTTP_AUTHORIZATION": "service"}),
    "401 without a token": ("GET", "/api/orders/", {}),
    "401 with a forged token": ("GET", "/api/orders/", {"HTTP_AUTHORIZATION": "Bearer x.y.z"}),
    "a forged token on a public route": ("GET", "/api/books/1/", {"HTTP_AUTHORIZATION": "Bearer x.y.z"}),
    "413": ("POST", "/api/books/", {"HTTP_AUTHORIZATION": "token", "CONTENT_LENGTH": str(2 * 1024 * 1024)}),
    "429": ("POST", "/api/auth/login/", {"body": b"{}", "limit": True}),
    "503, the service down": ("GET", "/api/books/1/", {"down": True}),
    "503, the breaker open": ("GET", "/api/books/1/", {"down": True, "breaker": True}),
    "504": ("GET", "/api/books/slow/", {}),
    "431, a header too long": ("GET", "/api/books/1/", {"HTTP_X_LONG": "x" * 9000}),
    "400, a number too long": ("GET", "/api/books/", {"query": f"page={'9' * 30}"}),
    "400, a host not allowed": ("GET", "/api/books/1/", {"HTTP_HOST": "evil.example"}),
    "400, a host allowed before ALLOWED_HOSTS changed": ("GET", "/api/books/1/", {"hosts_changed": True}),
    "CORS_URLS_REGEX not matching the path": ("GET", "/api/books/1/", {"cors_urls": r"^/api/orders/"}),
    "a client's own forwarded headers": ("GET", "/api/books/1/", {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}),
    "a trusted proxy's": (
        "GET",
        "/api/books/1/",
        {"trusted": True, "HTTP_X_FORWARDED_FOR": "203.0.113.9", "HTTP_X_FORWARDED_PROTO": "https"},
    ),
    "over HTTPS with HSTS": ("GET", "/api/books/1/", {"wsgi.url_scheme": "https", "hsts": True}),
    "a non-ASCII path": ("GET", "/api/books/caf\xc3\xa9/", {}),
    "a script name": ("GET", "/api/books/1/", {"SCRIPT_NAME": "/shop/"}),
    "FORCE_SCRIPT_NAME": ("GET", "/api/books/1/", {"force_script_name": "/store"}),
    "a Content-Type with a charset": (
        "POST",
        "/api/books/",
        {"body": b"{}", "HTTP_AUTHORIZATION": "token", "CONTENT_TYPE": "application/json; charset=latin-1"},
    ),
    "a Content-Length not a number": ("POST", "/api/books/", {"HTTP_AUTHORIZATION": "token", "CONTENT_LENGTH": "x"}),
    "a read timeout changed after a call": ("GET", "/api/books/slow/", {"timeout_changed": True}),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "options"), CASES.values(), ids=CASES.keys())
def test_one_pass_answers_as_the_django_chain(
    method, path, options, stand_in, settings, caplog, closed_port_url, monkeypatch
):
    caplog.set_level("INFO")
    # No housekeeping of the rate limits' table in one write in a hundred (one more statement counted).
    monkeypatch.setattr(rate_limits, "random", SimpleNamespace(random=lambda: 1.0))
    options = dict(options)
    if options.pop("limit", False):
        settings.GATEWAY_RATE_LIMITS = {**settings.GATEWAY_RATE_LIMITS, "login": Rate(0, 60)}
        # The same Retry-After in both answers, whatever second each comes in.
        monkeypatch.setattr(rate_limits, "time", SimpleNamespace(time=lambda: 1_000_000.5))
    if options.pop("down", False):
        settings.SERVICE_URLS = {**settings.SERVICE_URLS, "book": closed_port_url}
    breaker_open = options.pop("breaker", False)
    if breaker_open:
        settings.GATEWAY_BREAKER_FAILURES = 1
    if options.pop("trusted", False):
        settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
    if options.pop("hsts", False):
        settings.SECURE_HSTS_SECONDS = 3600
        settings.SECURE_PROXY_SSL_HEADER = None
    if options.pop("hosts_changed", False):  # what the one pass remembers of the hosts it allowed goes
        served(OnePassForwarding(), environ(method, path), caplog)
        settings.ALLOWED_HOSTS = ["elsewhere.example"]
    if cors_urls := options.pop("cors_urls", None):
        settings.CORS_URLS_REGEX = cors_urls
    if force_script_name := options.pop("force_script_name", None):
        settings.FORCE_SCRIPT_NAME = force_script_name
    timeout_changed = options.pop("timeout_changed", False)
    if timeout_changed:  # the timeouts the proxy read go: this call waits, the two below do not
        settings.GATEWAY_READ_TIMEOUT = 5.0
        assert served(OnePassForwarding(), environ(method, path), caplog).status.startswith("200")
    settings.GATEWAY_READ_TIMEOUT = 0.2
    if options.get("HTTP_AUTHORIZATION") == "token":
        options["HTTP_AUTHORIZATION"] = token()
    elif options.get("HTTP_AUTHORIZATION") == "service":
        options["HTTP_AUTHORIZATION"] = token(service="order")

    seen = []
    for application in (ForwardingHandler(), OnePassForwarding()):
        proxy.pools.forget()
        breakers.breakers.forget()
        if breaker_open:  # its one failure opens it
            served(application, environ(method, path, **options), caplog)
        seen.append(served(application, environ(method, path, **options), caplog))
    chain, one_pass = seen
    new_id = dict(one_pass.headers)["X-Request-ID"]
    if new_id != "same-id":  # a new id each time: the same in the header and an error's body
        assert re.fullmatch("[0-9a-f]{32}", new_id)
        chain_id = dict(chain.headers)["X-Request-ID"]
        chain.headers = [(name, new_id if value == chain_id else value) for name, value in chain.headers]
        chain.body = chain.body.replace(chain_id.encode(), new_id.encode())
    assert one_pass == chain
    if timeout_changed:
        assert chain.status.startswith("504")


@pytest.mark.django_db
def test_a_request_a_browser_sent_cross_origin_and_a_preflight_go_through_the_chain(stand_in, settings, caplog):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]
    application = gateway_application(WSGIHandler())
    origin = {"HTTP_ORIGIN": "https://shop.example.com"}
    answers = {}
    for name, env in {
        "plain": environ("GET", "/api/books/1/"),
        "cross-origin": environ("GET", "/api/books/1/", **origin),
        "preflight": environ("OPTIONS", "/api/books/1/", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", **origin),
    }.items():
        seen = served(application, env, caplog)
        answers[name] = (seen.status, dict(seen.headers))
    assert "access-control-allow-origin" not in answers["plain"][1]
    assert answers["plain"][1]["Vary"] == "Accept, origin"
    assert answers["cross-origin"][1]["access-control-allow-origin"] == "https://shop.example.com"
    assert answers["preflight"][0] == "200 OK"
    assert answers["preflight"][1]["access-control-allow-methods"]


@pytest.mark.django_db
def test_a_middleware_list_of_its_own_goes_through_the_chain(stand_in, settings, monkeypatch, caplog):
    # Tracing adds OpenTelemetry's middleware: the one pass would leave it out.
    calls = []
    monkeypatch.setattr(OnePassForwarding, "__call__", lambda self, *args: calls.append(args))
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    assert served(gateway_application(WSGIHandler()), environ("GET", "/api/books/1/"), caplog).status == "200 OK"
    assert calls == []


@pytest.mark.django_db
def test_a_forwarded_answer_says_it_is_in_memory(stand_in):
    """What the gateway's server (tools/granian_worker.py) writes in one piece, rather than
    part by part: an answer whose `streaming` is False, by its `content`."""
    started = {}
    application = gateway_application(WSGIHandler())

    with database_kept_open():
        answer = application(environ("GET", "/api/books/1/"), lambda status, headers: started.update(status=status))
        try:
            assert answer.streaming is False
            assert answer.content == json.dumps({"path": "/api/books/1/"}).encode()
            assert b"".join(answer) == answer.content
        finally:
            answer.close()
    assert started["status"] == "200 OK"
