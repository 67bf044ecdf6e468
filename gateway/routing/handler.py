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
"""

import re

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, get_script_name
from django.core.signals import request_started
from django.db import connections
from django.urls import set_script_prefix
from django.utils.module_loading import import_string

from common.api_handler import ADMIN_ONLY_MIDDLEWARE  # the proxy view authenticates by token at the edge
from routing.routes import ROUTES
from routing.views import proxy

_API_PATH = re.compile(r"^/api/([^/]+)(?:/|$)")


def forwarded_resource(path: str) -> str | None:
    """The resource of a path the gateway forwards to a service, else None."""
    match = _API_PATH.match(path)
    return match[1] if match and match[1] in ROUTES else None


def _forward(request):
    # Only forwarded paths come here (gateway_application): "" is never a route.
    resource = forwarded_resource(request.path_info) or ""
    # Not resolved, so no route template: the metrics and the span are named by the prefix.
    request.metrics_route = f"api/{resource}/*"
    return proxy(request, resource)


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
        return AnswerInMemory(response, request)


def _holds_database_connection() -> bool:
    return any(connection.connection is not None for connection in connections.all(initialized_only=True))


class AnswerInMemory:
    """The body of a forwarded request's answer, for the server. Every answer on this
    path is in memory (the service's, or one in the common error shape), never streamed,
    so the request is the one resource it holds. Closing it closes the response
    (request_finished sent) only when the thread holds a database connection, else
    the request alone."""

    def __init__(self, response, request):
        self.response = response
        self.request = request

    def __iter__(self):
        yield self.response.content

    def close(self) -> None:
        if _holds_database_connection():
            self.response.close()
        else:
            self.request.close()


def gateway_application(django_application):
    forwarding = ForwardingHandler()

    def application(environ, start_response):
        forwarded = forwarded_resource(environ.get("PATH_INFO", ""))
        return (forwarding if forwarded else django_application)(environ, start_response)

    return application
