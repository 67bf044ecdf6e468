"""The gateway's WSGI entry: forwarded requests skip the parts of Django they never use.

A request for /api/<resource>/... that a service serves (routes.ROUTES) goes to a
handler with Django's own request and response objects and exception handling, but a shorter
middleware chain (the project's, less the middleware that only the admin and static
files use) straight to the proxy view, with no URL resolving. Everything else (health,
docs, the composite calls, the admin) goes to the full Django application. A forwarded
request costs the gateway less CPU this way (docs/performance.md, "What the profile
found").

Django's request_started and request_finished signals are sent only for a request
during which the thread holds a database connection (a write, counted by the rate
limits, or one kept open since): their receivers (close_old_connections,
reset_queries, close_caches, reset_urlconf) have nothing to do otherwise, since the
caches' close() is a no-op for locmem and Redis and the forwarding chain sets no
urlconf of its own. With a pool (PostgreSQL), the connection a write borrowed goes
back at the end of that request, as before.

Most forwarded requests (no Origin, not OPTIONS: no CORS work; the project's own
middleware list) take a shorter way still, OnePassForwarding: the same middleware
steps in the same order, called as functions in one pass (common.api_handler's
ApiMiddleware, with routing.cors's step and the proxy), with Django's request but,
for a service's answer, a Reply in place of Django's response, whose headers Django
converts one by one. The answers, metrics, access-log lines and errors are the
chain's (routing/tests/test_one_pass.py holds them equal). Any other forwarded request
(a browser's cross-origin one, a preflight, tracing's middleware in the list) goes
through ForwardingHandler.
"""

import re
import threading
from collections.abc import Callable, Iterator
from functools import cache
from http.client import responses
from types import MappingProxyType
from typing import Any

from corsheaders.conf import conf as cors_conf
from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response, response_for_exception
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest, get_script_name
from django.core.signals import request_finished, request_started, setting_changed
from django.db import connections
from django.db.backends.signals import connection_created
from django.http import HttpRequest
from django.http.response import ResponseHeaders
from django.urls import set_script_prefix
from django.utils.cache import patch_vary_headers
from django.utils.log import log_response
from django.utils.module_loading import import_string

from common.api_handler import ADMIN_ONLY_MIDDLEWARE, ApiMiddleware  # the proxy view authenticates by token at the edge
from common.connections import Answer
from routing.cors import CorsMiddleware
from routing.proxy import passed_back
from routing.routes import ROUTES
from routing.views import answer_for, proxy

_API_PATH = re.compile(r"^/api/([^/]+)(?:/|$)")


def forwarded_resource(path: str) -> str | None:
    """The resource of a path the gateway forwards to a service, else None."""
    match = _API_PATH.match(path)
    return match[1] if match and match[1] in ROUTES else None


def _routed(request) -> str:
    # Only forwarded paths come here (gateway_application): "" is never a route.
    resource = forwarded_resource(request.path_info) or ""
    # Not resolved, so no route template: the metrics and the span are named by the prefix.
    request.metrics_route = f"api/{resource}/*"
    return resource


def _forward(request):
    return proxy(request, _routed(request))


class ForwardingHandler(WSGIHandler):
    def load_middleware(self, is_async=False):
        handler = convert_exception_to_response(_forward)
        for middleware_path in reversed(settings.MIDDLEWARE):
            if middleware_path not in ADMIN_ONLY_MIDDLEWARE:
                handler = convert_exception_to_response(import_string(middleware_path)(handler))
        self._middleware_chain = handler

    def __call__(self, environ, start_response):
        # WSGIHandler.__call__, but for the signals (the module's docstring).
        set_script_prefix(get_script_name(environ))
        if _holds_database_connection():
            request_started.send(sender=self.__class__, environ=environ)
        request = self.request_class(environ)
        response = self.get_response(request)
        response._handler_class = self.__class__  # type: ignore[attr-defined]  # read by response.close(), as in Django
        status = f"{response.status_code} {response.reason_phrase}"
        cookies = (("Set-Cookie", cookie.output(header="")) for cookie in response.cookies.values())
        start_response(status, [*response.items(), *cookies])
        return AnswerInMemory(response, request, sender=self.__class__)


def _holds_database_connection() -> bool:
    """Whether the thread holds a database connection. Asked of Django's connections only
    when it may (_thread.may_hold_connection): after the thread last held none, until it
    opens (or borrows from the pool) one, which Django announces (connection_created)."""
    if getattr(_thread, "may_hold_connection", True):
        _thread.may_hold_connection = any(
            connection.connection is not None for connection in connections.all(initialized_only=True)
        )
    return _thread.may_hold_connection


_thread = threading.local()


def _connection_opened(sender: object, **kwargs: object) -> None:
    _thread.may_hold_connection = True


connection_created.connect(_connection_opened, dispatch_uid="routing.handler")


class AnswerInMemory:
    """The body of a forwarded request's answer, for the server. Every answer on this
    path is in memory (the service's, or one in the common error shape), never streamed,
    so the request is the one resource it holds. Closing it closes the request and,
    only when the thread holds a database connection, sends request_finished as
    Django's response does."""

    streaming = False  # as a Django response in memory: the server writes `content` at once

    def __init__(self, response, request, *, sender: type):
        self.response = response
        self.request = request
        self.sender = sender

    @property
    def content(self) -> bytes:
        return self.response.content

    def __iter__(self) -> Iterator[bytes]:
        yield self.response.content

    def close(self) -> None:
        self.request.close()
        if _holds_database_connection():
            request_finished.send(sender=self.sender)


# The chain OnePassForwarding stands for, outermost first: the project's MIDDLEWARE
# less ADMIN_ONLY_MIDDLEWARE, as gateway/settings.py makes it.
ONE_PASS_MIDDLEWARE = (
    "common.metrics.MetricsMiddleware",
    "common.forwarded.ForwardedHeadersMiddleware",
    "common.request_id.RequestIdMiddleware",
    "common.access_log.AccessLogMiddleware",
    "routing.cors.CorsMiddleware",
    "common.limits.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)


class Reply:
    """A service's answer on OnePassForwarding's way back: what a ProxiedResponse holds
    (routing.proxy.proxied), with the part of Django's response the middleware's
    response steps use (headers by any case of their name, setdefault, Content-Length
    from the content). A header Django would convert or refuse (one not in ASCII, or
    holding a line break) goes through Django's own ResponseHeaders."""

    __slots__ = ("_has_been_logged", "_headers", "content", "set_cookies", "status_code")
    streaming = False
    cookies: MappingProxyType[str, Any] = MappingProxyType({})  # the gateway sets none of its own

    def __init__(self, status: int, headers: dict[str, tuple[str, str]], content: bytes, set_cookies: list[str]):
        """`headers`: (name, value) by lowered name (routing.proxy.passed_back)."""
        if not 100 <= status <= 599:  # as HttpResponse refuses it
            raise ValueError("HTTP status code must be an integer from 100 to 599.")
        self.status_code = status
        self.content = content
        self.set_cookies = set_cookies
        self._has_been_logged = False  # django.utils.log.log_response's mark
        if not _plain("".join(map("".join, headers.values()))):
            headers = {lowered: _header(name, value) for lowered, (name, value) in headers.items()}
        self._headers = headers

    @property
    def reason_phrase(self) -> str:
        return responses.get(self.status_code, "Unknown Status Code")

    @property
    def headers(self) -> "Reply":
        return self

    def __setitem__(self, name: str, value: str) -> None:
        self._headers[name.lower()] = _header(name, value)

    def __getitem__(self, name: str) -> str:
        return self._headers[name.lower()][1]

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._headers

    has_header = __contains__

    def get(self, name: str, default: str | None = None) -> str | None:
        header = self._headers.get(name.lower())
        return default if header is None else header[1]

    def setdefault(self, name: str, value: str) -> None:
        lowered = name.lower()
        if lowered not in self._headers:
            self._headers[lowered] = _header(name, value)

    def items(self) -> list[tuple[str, str]]:
        return [*self._headers.values(), *(("Set-Cookie", value) for value in self.set_cookies)]


def _header(name: str, value: str) -> tuple[str, str]:
    """The header as Django's response holds it: as it is when it is ASCII without a line
    break (nearly always), else converted or refused by Django's ResponseHeaders."""
    if _plain(name + value):
        return name, value
    ((name, value),) = ResponseHeaders({name: value}).items()
    return name, value


def _plain(text: str) -> bool:
    return text.isascii() and "\n" not in text and "\r" not in text


class ForwardedRequest(WSGIRequest):
    """Django's request, whose host is checked against ALLOWED_HOSTS once: by
    CommonMiddleware, then sent on by the proxy (X-Forwarded-Host). What it reads is
    settled by then (common.forwarded has believed or dropped a proxy's headers). A
    host Django has allowed is not checked again (_allowed_hosts) while ALLOWED_HOSTS
    and DEBUG stay as they were."""

    _host: str | None = None

    def get_host(self) -> str:
        if self._host is None:
            host = self._get_raw_host()  # type: ignore[attr-defined]  # Django's, not in django-stubs
            if host not in _allowed_hosts:
                host = super().get_host()  # DisallowedHost, unless allowed
                if len(_allowed_hosts) >= _MOST_ALLOWED_HOSTS:  # bounded: with "*", clients choose them
                    _allowed_hosts.clear()
                _allowed_hosts.add(host)
            self._host = host
        return self._host


# The hosts ForwardedRequest has seen allowed; Django's answer depends on these settings alone.
_allowed_hosts: set[str] = set()
_MOST_ALLOWED_HOSTS = 64
_SETTINGS_OF_HOSTS = frozenset({"ALLOWED_HOSTS", "DEBUG"})


@cache
def _cors_urls() -> re.Pattern[str]:
    """CORS_URLS_REGEX compiled once (corsheaders' is_enabled looks it up for each request)."""
    return re.compile(cors_conf.CORS_URLS_REGEX)


def _forget_settled(*, setting: str, **kwargs: object) -> None:
    """What was read of the settings is read again when a test changes them."""
    if setting in _SETTINGS_OF_HOSTS:
        _allowed_hosts.clear()
    elif setting == "CORS_URLS_REGEX":
        _cors_urls.cache_clear()


setting_changed.connect(_forget_settled, dispatch_uid="routing.handler.settled")


def _forwarded(request: HttpRequest) -> Any:
    """The proxy view, with a Reply for the service's answer; its exception becomes its
    answer here, as convert_exception_to_response does around ForwardingHandler's view."""
    try:
        answer = answer_for(request, _routed(request))
        if not isinstance(answer, Answer):
            return answer
        headers, cookies = passed_back(answer)
        return Reply(answer.status, headers, answer.body, cookies)
    except Exception as exc:
        return response_for_exception(request, exc)


class ForwardingMiddleware(ApiMiddleware):
    """ONE_PASS_MIDDLEWARE in one: common's API middleware (ApiMiddleware, its steps and
    their exceptions) with routing.cors's step between the access log and the limits,
    and the proxy (_forwarded) where the view is."""

    def __init__(self) -> None:
        super().__init__(_forwarded)
        self.cors = CorsMiddleware(_forwarded)

    def _within_access_log(self, request: HttpRequest) -> Any:
        """routing.cors for a request without an Origin, not OPTIONS: its Vary alone."""
        try:
            response = self._checked(request)
            if _cors_urls().match(request.path_info) or self.cors.check_signal(request):  # cors.is_enabled
                if "Vary" in response:
                    patch_vary_headers(response, ("origin",))
                else:  # what patch_vary_headers sets then, without splitting and joining
                    response["Vary"] = "origin"
        except Exception as exc:
            response = response_for_exception(request, exc)
        return response


class OnePassForwarding:
    """ONE_PASS_MIDDLEWARE and the proxy view in one pass (the module's docstring), as
    Django's WSGI handler would call them. Django's thread-local URLconf and script prefix
    are left alone: nothing on this way resolves or reverses a URL."""

    def __init__(self) -> None:
        self.middleware = ForwardingMiddleware()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> "AnswerInMemory":
        # WSGIHandler.__call__ and BaseHandler.get_response, but for the signals (the module's docstring).
        if _holds_database_connection():
            request_started.send(sender=self.__class__, environ=environ)
        request = ForwardedRequest(environ)
        response: Any = self.middleware(request)
        if response.status_code >= 400:
            log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
        cookies = (("Set-Cookie", cookie.output(header="")) for cookie in response.cookies.values())
        start_response(f"{response.status_code} {response.reason_phrase}", [*response.items(), *cookies])
        return AnswerInMemory(response, request, sender=self.__class__)


def takes_one_pass(environ: dict[str, Any]) -> bool:
    """A forwarded request with no CORS work: no Origin, not a preflight."""
    return "HTTP_ORIGIN" not in environ and environ.get("REQUEST_METHOD", "").upper() != "OPTIONS"


def gateway_application(django_application):
    forwarding = ForwardingHandler()
    chain = tuple(path for path in settings.MIDDLEWARE if path not in ADMIN_ONLY_MIDDLEWARE)
    one_pass = OnePassForwarding() if chain == ONE_PASS_MIDDLEWARE else None

    def application(environ, start_response):
        if not forwarded_resource(environ.get("PATH_INFO", "")):
            return django_application(environ, start_response)
        if one_pass is not None and takes_one_pass(environ):
            return one_pass(environ, start_response)
        return forwarding(environ, start_response)

    return application
