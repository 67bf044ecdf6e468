"""The gateway's WSGI entry: forwarded requests skip the parts of Django they never use.

A request for /api/<resource>/... that a service serves (routes.ROUTES) goes to a
handler with Django's own request and response objects, signals and exception
handling, but a shorter middleware chain (the project's, less the middleware that only
the admin and static files use) straight to the proxy view, with no URL resolving.
Everything else (health, docs, the composite calls, the admin) goes to the full Django
application. A forwarded request costs the gateway less CPU this way
(docs/performance.md, "What the profile found").
"""

import re

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.utils.module_loading import import_string

from routing.routes import ROUTES
from routing.views import proxy

# Sessions, CSRF, the logged-in user, messages and static files: the admin's, not the API's
# (the proxy view authenticates by token at the edge and is exempt from CSRF).
ADMIN_ONLY_MIDDLEWARE = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    }
)
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


def gateway_application(django_application):
    forwarding = ForwardingHandler()

    def application(environ, start_response):
        forwarded = forwarded_resource(environ.get("PATH_INFO", ""))
        return (forwarding if forwarded else django_application)(environ, start_response)

    return application
