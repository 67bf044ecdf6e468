from django.urls import include, path, re_path

from common.urls import handler400, handler403, handler404, handler500, platform_urls  # noqa: F401
from composite import views as composite_views
from routing import views

urlpatterns = [
    # /admin/ is the back office (every service's admin); the gateway has no data of its own to administer.
    *platform_urls(health_view=views.health, admin_site=False),
    path("admin/", include("backoffice.urls")),
    path("", include("account_pages.urls")),  # where the account emails' links lead
    path("api/schema/<str:service>/", views.service_schema, name="service-schema"),
    path("api/me/", composite_views.MeView.as_view(), name="me"),
    path("api/checkout/", composite_views.CheckoutView.as_view(), name="checkout"),
    re_path(r"^api/(?P<resource>[^/]+)(?:/.*)?$", views.proxy, name="proxy"),
]
