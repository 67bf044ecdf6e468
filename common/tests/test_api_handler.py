"""The services' WSGI entry (common.api_handler), driven as a server drives it: a built
WSGI environ and a start_response, since the test client builds a handler of its own."""

import io
import json
import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.utils.module_loading import import_string

from common import api_handler
from common.api_handler import (
    ADMIN_ONLY_MIDDLEWARE,
    FOLDED_MIDDLEWARE,
    ApiHandler,
    ApiMiddleware,
    api_routed_application,
    is_api_request,
)
from common.auth import mint_access_token
from common.metrics import REGISTRY
from common.testing.database import database_kept_open


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)


def environ(method: str, path: str, *, body: bytes = b"", query: str = "", **headers: str) -> dict:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "2100",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:2100",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        **headers,
    }


def call(application, method: str, path: str, **kwargs) -> Answer:
    """One request as a WSGI server makes it."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), headers

    with database_kept_open():
        chunks = application(environ(method, path, **kwargs), start_response)
        try:
            body = b"".join(chunks)
        finally:
            chunks.close()
    return Answer(answer["status"], answer["headers"], body)


@pytest.fixture(autouse=True)
def api_urls(settings):
    settings.ROOT_URLCONF = "tests.api_urls"


@pytest.fixture
def application():
    return api_routed_application(WSGIHandler())


def bearer(**claims) -> str:
    return f"Bearer {mint_access_token(user_id=7, username='reader', **claims)}"


@pytest.mark.parametrize(
    ("path", "headers", "short"),
    [
        ("/api/books/", {}, True),
        ("/api/events/", {}, True),
        ("/api/schema/", {}, True),
        ("/api", {}, False),
        ("/apix/", {}, False),
        ("/api/docs/", {}, False),  # Swagger UI's page sets the CSRF cookie its token needs
        ("/admin/", {}, False),
        ("/health/", {}, False),
        ("/metrics", {}, False),
        ("/static/admin/css/base.css", {}, False),
        # The back office's: the admin's URLconf answers, whatever the path.
        ("/api/books/", {"HTTP_X_FORWARDED_PREFIX": "/admin/book"}, False),
    ],
)
def test_which_requests_take_the_short_chain(path, headers, short):
    assert is_api_request({"PATH_INFO": path, **headers}) is short


def test_an_api_request_skips_the_admins_middleware(application):
    through_api = call(application, "GET", "/api/attributes/")
    assert through_api.status == 200
    assert through_api.json() == {"session": False, "user": False, "_messages": False, "request_id": True}
    # The same view through the full chain, as every request was before.
    assert call(WSGIHandler(), "GET", "/api/attributes/").json() == {
        "session": True,
        "user": True,
        "_messages": True,
        "request_id": True,
    }


def test_the_projects_api_chain_is_the_folded_one(monkeypatch, settings):
    imported = []
    monkeypatch.setattr(api_handler, "import_string", lambda path: imported.append(path))
    handler = ApiHandler()
    assert [path for path in settings.MIDDLEWARE if path not in ADMIN_ONLY_MIDDLEWARE] == list(FOLDED_MIDDLEWARE)
    assert imported == []  # ApiMiddleware does their work
    assert call(handler, "GET", "/api/attributes/").status == 200


class PassThroughMiddleware:
    """Another middleware in the project's list (tracing adds OpenTelemetry's)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


def test_any_other_chain_runs_every_middleware_in_its_order(monkeypatch, settings):
    ran = []

    def recording_import(path):
        middleware_class = import_string(path)

        def factory(get_response):
            def middleware(request):
                ran.append(path)
                return instance(request)

            instance = middleware_class(get_response)
            for hook in ("process_view", "process_template_response", "process_exception"):
                if hasattr(instance, hook):
                    setattr(middleware, hook, getattr(instance, hook))
            return middleware

        return factory

    extra = f"{__name__}.PassThroughMiddleware"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE[:2], extra, *settings.MIDDLEWARE[2:]]
    monkeypatch.setattr(api_handler, "import_string", recording_import)
    answer = call(ApiHandler(), "GET", "/api/attributes/")
    assert answer.status == 200
    assert set(settings.MIDDLEWARE) >= ADMIN_ONLY_MIDDLEWARE  # the names are the project's
    assert ran == [path for path in settings.MIDDLEWARE if path not in ADMIN_ONLY_MIDDLEWARE]
    assert extra in ran


_SAME_ANSWERS = [
    ("GET", "/api/whoami/", {}),  # 401
    ("GET", "/api/whoami/", {"HTTP_AUTHORIZATION": "token"}),
    ("GET", "/api/whoami", {}),  # CommonMiddleware's redirect to the slash
    ("GET", "/api/no-such-thing/", {}),
    ("POST", "/api/items/", {"body": b'{"title": "Dune", "quantity": 2}', "HTTP_AUTHORIZATION": "token"}),
    ("POST", "/api/items/", {"body": b'{"title": ', "HTTP_AUTHORIZATION": "token"}),  # 400
    ("PUT", "/api/items/", {"HTTP_AUTHORIZATION": "token"}),  # 405
    # An admin's cookies on an API call: neither set again nor looked at.
    ("GET", "/api/whoami/", {"HTTP_COOKIE": f"book_sessionid={'s' * 32}; book_csrftoken={'c' * 32}"}),
    # A plain Django view still refuses an unsafe method without the CSRF token...
    ("POST", "/api/plain/", {}),
    ("POST", "/api/plain/", {"HTTP_ORIGIN": "http://elsewhere.example"}),
    # ...and serves the safe ones.
    ("GET", "/api/plain/", {}),
    ("GET", "/api/schema/", {}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "kwargs"), _SAME_ANSWERS)
def test_an_api_request_gets_the_same_answer_as_through_the_full_chain(method, path, kwargs):
    if kwargs.get("HTTP_AUTHORIZATION") == "token":
        kwargs = {**kwargs, "HTTP_AUTHORIZATION": bearer()}
    kwargs = {**kwargs, "HTTP_X_REQUEST_ID": "same-id"}
    short = call(ApiHandler(), method, path, **kwargs)
    assert short == call(WSGIHandler(), method, path, **kwargs)
    assert not short.header("Set-Cookie")


def test_the_headers_of_an_answer_are_the_full_chains(application):
    answer = call(application, "GET", "/api/whoami/")
    assert answer.status == 401
    assert answer.header("X-Frame-Options") == ["DENY"]
    assert answer.header("X-Content-Type-Options") == ["nosniff"]
    assert answer.header("X-Request-ID")
    assert answer.header("Content-Length") == [str(len(answer.body))]
    assert not any("Cookie" in vary for vary in answer.header("Vary"))


def test_a_plain_view_is_refused_an_unsafe_method_without_the_csrf_token(application):
    answer = call(application, "POST", "/api/plain/")
    assert answer.status == 403
    assert b"CSRF" in answer.body


def test_a_back_office_request_under_api_goes_to_the_admins_chain(application):
    # Through the API's chain the view would answer (401); the back office sends the
    # browser to the gateway's login instead.
    answer = call(application, "GET", "/api/whoami/", HTTP_X_FORWARDED_PREFIX="/admin/book")
    assert answer.status == 302
    assert answer.header("Location")[0].startswith("/admin/login/?next=")


@pytest.mark.django_db
def test_the_admin_still_logs_in_with_a_session_and_a_csrf_token(application):
    User.objects.create_superuser("boss", "boss@example.com", "s3cret-pass")
    page = call(application, "GET", "/admin/login/")
    assert page.status == 200
    csrf_cookie = next(c for c in page.header("Set-Cookie") if c.strip().startswith("book_csrftoken="))
    cookie = csrf_cookie.strip().split(";")[0]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)[1].decode()
    form = f"csrfmiddlewaretoken={token}&username=boss&password=s3cret-pass&next=/admin/".encode()
    form_type = {"CONTENT_TYPE": "application/x-www-form-urlencoded"}

    refused = call(application, "POST", "/admin/login/", body=form.replace(token.encode(), b"x" * 64), **form_type)
    assert refused.status == 403  # no CSRF cookie

    logged_in = call(application, "POST", "/admin/login/", body=form, HTTP_COOKIE=cookie, **form_type)
    assert logged_in.status == 302
    assert logged_in.header("Location") == ["/admin/"]
    session = next(c for c in logged_in.header("Set-Cookie") if c.strip().startswith("book_sessionid="))
    index = call(application, "GET", "/admin/", HTTP_COOKIE=session.strip().split(";")[0])
    assert index.status == 200
    assert b"Site administration" in index.body


def test_an_error_in_a_view_is_the_services_json_500(application, settings):
    settings.DEBUG = False
    answer = call(application, "GET", "/api/boom/", HTTP_AUTHORIZATION=bearer())
    assert answer.status == 500
    error = answer.json()["error"]
    assert error["code"] == "internal_error"
    assert error["request_id"] == answer.header("X-Request-ID")[0]
    assert b"Traceback" not in answer.body


def test_request_started_and_finished_fire_around_an_api_request(application):
    # request_finished is what gives the request's database connections back.
    fired = []

    def started(sender, **kwargs):
        fired.append(("started", sender))

    def finished(sender, **kwargs):
        fired.append(("finished", sender))

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        with database_kept_open():
            chunks = application(environ("GET", "/api/whoami/"), lambda status, headers: None)
            assert fired == [("started", ApiHandler)]
            b"".join(chunks)
            chunks.close()
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    assert fired == [("started", ApiHandler), ("finished", ApiHandler)]


_FOLDED_ANSWERS = [
    *_SAME_ANSWERS,
    ("HEAD", "/api/whoami/", {"HTTP_AUTHORIZATION": "token"}),
    ("OPTIONS", "/api/items/", {"HTTP_AUTHORIZATION": "token"}),
    ("GET", "/api/boom/", {"HTTP_AUTHORIZATION": "token"}),  # the view's error: a 500
    ("GET", "/api/bad-log-extra/", {}),  # the access log's error: a 500 with the request id
    ("GET", "/api/whoami/", {"HTTP_HOST": "elsewhere.example"}),  # CommonMiddleware's DisallowedHost: 400
    ("GET", "/api/whoami/", {"HTTP_X_LONG": "x" * 9000}),  # 431
    ("GET", "/api/whoami/", {"query": "page=" + "1" * 25}),  # 400 naming page
    ("GET", "/api/whoami/", {"query": "&".join(f"f{i}=1" for i in range(1001))}),  # too many fields: 400
    ("GET", "/api/whoami/", {"query": "format=json", "HTTP_AUTHORIZATION": "token"}),
    ("GET", "/api/whoami/", {"HTTP_ACCEPT": "text/html", "HTTP_AUTHORIZATION": "token"}),  # 406
    # A proxy's headers from an untrusted peer (dropped), and from a trusted one (believed).
    ("GET", "/api/whoami/", {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.4"}),
    ("GET", "/api/whoami/", {"HTTP_X_FORWARDED_FOR": "198.51.100.4", "HTTP_X_FORWARDED_PROTO": "https"}),
    ("GET", "/api/whoami", {"HTTP_X_FORWARDED_HOST": "shop.example", "HTTP_X_FORWARDED_PROTO": "https"}),
]


def requests_counted() -> dict[tuple, float]:
    """The samples of http_server_requests_total and of the latency histogram's count."""
    wanted = ("http_server_requests_total", "http_server_request_duration_seconds_count")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for metric in REGISTRY.collect()
        for sample in metric.samples
        if sample.name in wanted
    }


def observed(handler, caplog, method, path, kwargs) -> tuple[Answer, list[str], dict[tuple, float]]:
    """The answer, the access lines (their milliseconds left out) and the requests counted."""
    before = requests_counted()
    caplog.clear()
    with caplog.at_level("INFO", logger="access"):
        answer = call(handler, method, path, **kwargs)
    lines = [re.sub(r" ms=[\d.]+ ", " ", r.getMessage()) for r in caplog.records if r.name == "access"]
    counted = {key: value - before.get(key, 0.0) for key, value in requests_counted().items()}
    return answer, lines, {key: moved for key, moved in counted.items() if moved}


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "kwargs"), _FOLDED_ANSWERS)
def test_the_folded_chain_answers_logs_and_counts_as_the_chain_of_eight(
    method, path, kwargs, monkeypatch, settings, caplog
):
    settings.DEBUG = False
    settings.SECURE_HSTS_SECONDS = 3600  # HSTS on a request a trusted proxy says came over https
    if kwargs.get("HTTP_AUTHORIZATION") == "token":
        kwargs = {**kwargs, "HTTP_AUTHORIZATION": bearer()}
    kwargs = {"HTTP_X_REQUEST_ID": "same-id", **kwargs}
    folded = ApiHandler()
    monkeypatch.setattr(api_handler, "FOLDED_MIDDLEWARE", ())
    one_at_a_time = ApiHandler()
    assert isinstance(folded._middleware_chain.__wrapped__, ApiMiddleware)
    assert not isinstance(one_at_a_time._middleware_chain.__wrapped__, ApiMiddleware)

    answer, lines, counted = observed(folded, caplog, method, path, kwargs)
    assert (answer, lines, counted) == observed(one_at_a_time, caplog, method, path, kwargs)
    assert sum(counted.values()) == 2  # one request, and its time


def test_the_folded_chain_refuses_before_djangos_security_headers():
    answer = call(ApiHandler(), "GET", "/api/whoami/", HTTP_X_LONG="x" * 9000, HTTP_X_REQUEST_ID="kept-id")
    assert answer.status == 431
    assert answer.json()["error"]["code"] == "header_too_large"
    assert answer.header("X-Request-ID") == ["kept-id"]
    # common.limits comes before SecurityMiddleware and XFrameOptionsMiddleware, as in the list.
    assert answer.header("X-Content-Type-Options") == answer.header("X-Frame-Options") == []


def test_the_folded_chain_sets_hsts_behind_a_trusted_https_proxy(settings):
    settings.SECURE_HSTS_SECONDS = 3600
    answer = call(ApiHandler(), "GET", "/api/whoami/", HTTP_X_FORWARDED_PROTO="https")
    assert answer.status == 401
    assert answer.header("Strict-Transport-Security") == ["max-age=3600"]
    assert answer.header("X-Content-Type-Options") == ["nosniff"]
    assert answer.header("X-Frame-Options") == ["DENY"]


def test_an_error_in_the_access_log_is_a_500_with_the_request_id(application, settings):
    settings.DEBUG = False
    answer = call(application, "GET", "/api/bad-log-extra/", HTTP_X_REQUEST_ID="kept-id")
    assert answer.status == 500
    assert answer.json()["error"]["request_id"] == "kept-id"
    assert answer.header("X-Request-ID") == ["kept-id"]


def test_a_bad_trusted_proxies_entry_is_a_500_counted_but_not_logged(settings, caplog):
    settings.DEBUG = False
    settings.TRUSTED_PROXIES = ["not-a-network"]
    with caplog.at_level("INFO", logger="access"):
        answer = call(ApiHandler(), "GET", "/api/whoami/")
    assert answer.status == 500
    assert not answer.header("X-Request-ID")  # the error came before the request id's step
    assert not [r for r in caplog.records if r.name == "access"]
