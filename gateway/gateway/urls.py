from django.urls import path, re_path

from common.urls import handler400, handler403, handler404, handler500, platform_urls  # noqa: F401
from routing import views

urlpatterns = [
    *platform_urls(health_view=views.health),
    path("api/schema/<str:service>/", views.service_schema, name="service-schema"),
    re_path(r"^api/(?P<resource>[^/]+)(?:/.*)?$", views.proxy, name="proxy"),
]
