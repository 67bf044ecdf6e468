"""A service's WSGI entry: API requests skip the middleware only the admin uses.

The APIs authenticate by bearer token through DRF (common.auth) and their views are
DRF's, exempt from CSRF; sessions, the logged-in user, messages, static files and the
back office's prefix (common.backoffice) serve the admin alone. So a request for
/api/... goes to a handler with Django's own request and response objects, URL
resolving, signals and exception handling, and every other middleware in its order,
but not those. Everything else (the admin, /health/, /ready/, /metrics, static files),
and any request that names a back-office prefix, goes to the full Django application.

The API chain's eight middleware (FOLDED_MIDDLEWARE) run as one, ApiMiddleware: the
same steps in the same order, without Django's wrapper and call around each of them.
"""

import time
from collections.abc import Callable, Iterable
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.exception import convert_exception_to_response, response_for_exception
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.module_loading import import_string

from common.access_log import log_access
from common.backoffice import PREFIX_HEADER
from common.forwarded import believe_trusted_proxies
from common.limits import refusal_of
from common.metrics import note_scrape_peer, record_request, service_name
from common.request_id import HEADER as REQUEST_ID_HEADER
from common.request_id import current_request_id, take_request_id

API_PREFIX = "/api/"
# Swagger UI's page (common.urls): HTML with a CSRF token, whose cookie the full chain sets.
_FULL_CHAIN_PATHS = frozenset({"/api/docs/"})
ADMIN_ONLY_MIDDLEWARE = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "common.backoffice.BackofficeMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    }
)
_CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
# The API chain ApiMiddleware stands for, outermost first: the project's MIDDLEWARE less
# ADMIN_ONLY_MIDDLEWARE. Any other list (tracing adds OpenTelemetry's) is built one
# middleware at a time, as Django builds it.
FOLDED_MIDDLEWARE = (
    "common.metrics.MetricsMiddleware",
    "common.forwarded.ForwardedHeadersMiddleware",
    "common.request_id.RequestIdMiddleware",
    "common.access_log.AccessLogMiddleware",
    "common.limits.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Handler = Callable[[HttpRequest], HttpResponseBase]


class ApiMiddleware:
    """FOLDED_MIDDLEWARE in one: each one's steps, in their order, with the same answers
    and headers. Django wraps each middleware in convert_exception_to_response; here an
    exception becomes its answer (response_for_exception) at the same place, so the
    steps of the middleware outside the one that raised see the answer they saw before,
    and those inside it do not run.

    `get_response` is the innermost handler, called where the view is: ApiHandler's
    converts the view's exception to its answer as Django's does. The gateway's one-pass
    forwarding (routing.handler) calls the proxy there, and adds its own middleware's
    step between the access log and the limits (_within_access_log)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response: Callable[[HttpRequest], Any] = get_response
        self.service = service_name()
        self.security = SecurityMiddleware(get_response)
        self.common = CommonMiddleware(get_response)
        self.xframe = XFrameOptionsMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # common.metrics (its exceptions: the wrapper load_middleware puts around this).
        started = time.perf_counter()
        note_scrape_peer(request)
        response = self._identified(request)
        record_request(self.service, request, response.status_code, time.perf_counter() - started)
        return response

    def _identified(self, request: HttpRequest) -> HttpResponseBase:
        """common.forwarded, common.request_id and common.access_log."""
        try:
            believe_trusted_proxies(request.META)
            try:
                request_id = take_request_id(request)
                token = current_request_id.set(request_id)
                try:
                    logged_from = time.perf_counter()
                    try:
                        response = self._within_access_log(request)
                        log_access(request, response, logged_from)
                    except Exception as exc:
                        response = response_for_exception(request, exc)
                finally:
                    current_request_id.reset(token)
                response[REQUEST_ID_HEADER] = request_id
            except Exception as exc:
                response = response_for_exception(request, exc)
        except Exception as exc:
            response = response_for_exception(request, exc)
        return response

    def _checked(self, request: HttpRequest) -> HttpResponseBase:
        """common.limits, then Django's SecurityMiddleware, CommonMiddleware and
        XFrameOptionsMiddleware around the view."""
        try:
            response = refusal_of(request) or self._secured(request)
        except Exception as exc:
            response = response_for_exception(request, exc)
        return response

    # What the access log times: the limits and what they let through, with no middleware
    # between. A subclass with one there overrides it, calling _checked inside its step.
    _within_access_log = _checked

    def _secured(self, request: HttpRequest) -> HttpResponseBase:
        response: Any  # None, or a response: django-stubs types each middleware's hooks narrower
        try:
            response = self.security.process_request(request)
            if response is None:
                try:
                    response = self.common.process_request(request)
                    if response is None:
                        try:
                            response = self.xframe.process_response(request, self.get_response(request))
                        except Exception as exc:
                            response = response_for_exception(request, exc)
                    response = self.common.process_response(request, response)
                except Exception as exc:
                    response = response_for_exception(request, exc)
            response = self.security.process_response(request, response)
        except Exception as exc:
            response = response_for_exception(request, exc)
        return cast(HttpResponseBase, response)


class ApiHandler(WSGIHandler):
    """Django's WSGI handler with the project's middleware less ADMIN_ONLY_MIDDLEWARE
    (ApiMiddleware when they are FOLDED_MIDDLEWARE).

    Of CSRF only the check before the view is kept: it lets DRF's views (csrf_exempt)
    through, and still refuses an unsafe method without the token to a plain Django
    view (book's media files), as the full chain does."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Callable[..., Any]] = []
        self._template_response_middleware: list[Callable[..., Any]] = []
        self._exception_middleware: list[Callable[..., Any]] = []
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]  # not in django-stubs
        if [path for path in settings.MIDDLEWARE if path not in ADMIN_ONLY_MIDDLEWARE] == list(FOLDED_MIDDLEWARE):
            if _CSRF_MIDDLEWARE in settings.MIDDLEWARE:
                self._view_middleware.append(CsrfViewMiddleware(handler).process_view)
            self._middleware_chain = convert_exception_to_response(ApiMiddleware(cast(Handler, handler)))  # sync: WSGI
            return
        for middleware_path in reversed(settings.MIDDLEWARE):
            if middleware_path == _CSRF_MIDDLEWARE:
                self._view_middleware.insert(0, CsrfViewMiddleware(handler).process_view)
            if middleware_path in ADMIN_ONLY_MIDDLEWARE:
                continue
            try:
                middleware = import_string(middleware_path)(handler)
            except MiddlewareNotUsed:
                continue
            # Registered as Django's BaseHandler.load_middleware does (sync only: a WSGI server).
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(middleware.process_template_response)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler


def is_api_request(environ: dict[str, Any]) -> bool:
    # A back-office request (X-Forwarded-Prefix) answers from the admin's URLconf whatever
    # its path: the full chain decides what it is.
    path = environ.get("PATH_INFO", "")
    return path.startswith(API_PREFIX) and path not in _FULL_CHAIN_PATHS and PREFIX_HEADER not in environ


def api_routed_application(django_application: WSGIHandler) -> WSGIApplication:
    """`django_application` for every request but the API's, which go to an ApiHandler."""
    api = ApiHandler()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return (api if is_api_request(environ) else django_application)(environ, start_response)

    return application
