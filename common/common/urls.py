"""URLs every service serves, and Django's error handlers in the common shape.

A service's urls.py: `urlpatterns = platform_urls() + [path("api/", include(...))]`
and `from common.urls import handler400, handler403, handler404, handler500`.
"""

from collections.abc import Callable

from django.contrib import admin
from django.http import HttpResponseBase
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from common import health, metrics
from common.errors import handler400, handler403, handler404, handler500

__all__ = ["handler400", "handler403", "handler404", "handler500", "platform_urls"]


def platform_urls(
    *, health_view: Callable[..., HttpResponseBase] = health.health, admin_site: bool = True
) -> list[URLPattern | URLResolver]:
    """`admin_site=False`: no Django admin at /admin/ (the gateway serves its back office there)."""
    return [
        path("health/", health_view, name="health"),
        path("ready/", health.ready, name="ready"),
        # Prometheus's scrape (common.metrics): the monitoring network only, never routed by the gateway.
        path("metrics", metrics.metrics_view, name="metrics"),
        *([path("admin/", admin.site.urls)] if admin_site else []),
        path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    ]
