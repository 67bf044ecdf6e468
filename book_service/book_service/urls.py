from django.urls import include, path

from common.revocation.views import AccountEventsView
from common.urls import handler400, handler403, handler404, handler500, platform_urls  # noqa: F401

urlpatterns = [
    *platform_urls(),
    path("api/", include("catalog.urls")),
    path("api/events/", AccountEventsView.as_view(), name="events"),  # account.deleted, account.deactivated
]
