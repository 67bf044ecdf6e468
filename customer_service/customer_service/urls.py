from django.urls import include, path

from common.urls import handler400, handler403, handler404, handler500, platform_urls  # noqa: F401

urlpatterns = [*platform_urls(), path("api/", include("accounts.urls")), path("api/", include("customers.urls"))]
