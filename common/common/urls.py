"""URLs every service serves, and Django's error handlers in the common shape.

A service's urls.py: `urlpatterns = platform_urls() + [path("api/", include(...))]`
and `from common.urls import handler400, handler403, handler404, handler500`.

The admin's URLs and the OpenAPI views are made on their first request, not when the
URLconf is loaded: neither serves the API, and each brings in modules of its own
(the apps' admin modules: common.admin_site; drf-spectacular's schema generator and
renderers), memory every process would otherwise hold from its start.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponseBase
from django.urls import URLPattern, URLResolver, path
from django.urls.resolvers import RoutePattern
from django.views.decorators.csrf import csrf_exempt

from common import health, metrics
from common.admin_site import LazyAdminURLconf
from common.errors import handler400, handler403, handler404, handler500

__all__ = ["handler400", "handler403", "handler404", "handler500", "platform_urls"]

View = Callable[..., HttpResponseBase]


def view_on_first_request(make: Callable[[], View]) -> View:
    """A view that `make()` builds when it is first asked for. Exempt from CSRF as DRF's
    views are (the views it stands for here are all DRF's)."""
    view: View | None = None

    @csrf_exempt
    def lazy(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        nonlocal view
        if view is None:
            view = make()
        return view(request, *args, **kwargs)

    return lazy


def _schema_view() -> View:
    from drf_spectacular.views import SpectacularAPIView

    return SpectacularAPIView.as_view()


def _docs_view() -> View:
    from drf_spectacular.views import SpectacularSwaggerView

    return SpectacularSwaggerView.as_view(url_name="schema")


def _admin_urls() -> URLResolver:
    urlconf = LazyAdminURLconf(admin.site)
    return URLResolver(RoutePattern("admin/"), urlconf, app_name="admin", namespace=admin.site.name)


def platform_urls(
    *, health_view: Callable[..., HttpResponseBase] = health.health, admin_site: bool = True
) -> list[URLPattern | URLResolver]:
    """`admin_site=False`: no Django admin at /admin/ (the gateway serves its back office there)."""
    return [
        path("health/", health_view, name="health"),
        path("ready/", health.ready, name="ready"),
        # Prometheus's scrape (common.metrics): the monitoring network only, never routed by the gateway.
        path("metrics", metrics.metrics_view, name="metrics"),
        # As path("admin/", admin.site.urls), but the site makes its URLs (importing the apps'
        # admin modules) when they are first resolved.
        *([_admin_urls()] if admin_site else []),
        path("api/schema/", view_on_first_request(_schema_view), name="schema"),
        path("api/docs/", view_on_first_request(_docs_view), name="docs"),
    ]
