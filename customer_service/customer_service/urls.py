from django.urls import include, path, register_converter

from common.converters import IdConverter
from common.urls import handler400, handler403, handler404, handler500, platform_urls  # noqa: F401

register_converter(IdConverter, "id")  # before the apps' urls, which use <id:...>

urlpatterns = [*platform_urls(), path("api/", include("accounts.urls")), path("api/", include("customers.urls"))]
