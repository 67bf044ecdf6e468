"""A service's WSGI entry: API requests skip the middleware only the admin uses.

The APIs authenticate by bearer token through DRF (common.auth) and their views are
DRF's, exempt from CSRF; sessions, the logged-in user, messages, static files and the
back office's prefix (common.backoffice) serve the admin alone. So a request for
/api/... goes to a handler with Django's own request and response objects, URL
resolving, signals and exception handling, and every other middleware in its order,
but not those. Everything else (the admin, /health/, /ready/, /metrics, static files),
and any request that names a back-office prefix, goes to the full Django application.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.module_loading import import_string

from common.backoffice import PREFIX_HEADER

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

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ApiHandler(WSGIHandler):
    """Django's WSGI handler with the project's middleware less ADMIN_ONLY_MIDDLEWARE.

    Of CSRF only the check before the view is kept: it lets DRF's views (csrf_exempt)
    through, and still refuses an unsafe method without the token to a plain Django
    view (book's media files), as the full chain does."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Callable[..., Any]] = []
        self._template_response_middleware: list[Callable[..., Any]] = []
        self._exception_middleware: list[Callable[..., Any]] = []
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]  # not in django-stubs
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
