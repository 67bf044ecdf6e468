from django.urls import include, path

from catalog.views import EventsView
from common.urls import handler400, handler403, handler404, handler500, platform_urls  # noqa: F401

urlpatterns = [
    *platform_urls(),
    path("api/", include("catalog.urls")),
    path("api/events/", EventsView.as_view(), name="events"),
]
