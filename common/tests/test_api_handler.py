"""The services' WSGI entry (common.api_handler), driven as a server drives it: a built
WSGI environ and a start_response, since the test client builds a handler of its own."""

import io
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils.module_loading import import_string

from common import api_handler
from common.api_handler import ADMIN_ONLY_MIDDLEWARE, ApiHandler, api_routed_application, is_api_request
from common.auth import mint_access_token


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


@contextmanager
def database_kept_open():
    """As Django's test client does: closing the test's connection would end its transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


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


def test_every_other_middleware_runs_in_its_order(monkeypatch, settings):
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

    monkeypatch.setattr(api_handler, "import_string", recording_import)
    answer = call(ApiHandler(), "GET", "/api/attributes/")
    assert answer.status == 200
    assert set(settings.MIDDLEWARE) >= ADMIN_ONLY_MIDDLEWARE  # the names are the project's
    assert ran == [path for path in settings.MIDDLEWARE if path not in ADMIN_ONLY_MIDDLEWARE]


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
