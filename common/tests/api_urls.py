"""The URLconf of test_api_handler.py: some of the suite's views under /api/, beside the
admin and the platform's URLs."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from common.urls import handler400, handler403, handler404, handler500, platform_urls  # noqa: F401
from tests import views


def request_attributes(request: HttpRequest) -> JsonResponse:
    """What the middleware before the view left on Django's request."""
    return JsonResponse({name: hasattr(request, name) for name in ("session", "user", "_messages", "request_id")})


def plain_post(request: HttpRequest) -> HttpResponse:
    """A plain Django view, not exempt from CSRF as DRF's are."""
    return HttpResponse("done", status=201)


def bad_log_extra(request: HttpRequest) -> HttpResponse:
    """Leaves the access log something it cannot write: the error is the access log's."""
    request.access_log_extra = 5  # type: ignore[attr-defined]  # read by common.access_log
    return HttpResponse("logged?")


urlpatterns = [
    *platform_urls(),
    path("api/whoami/", views.WhoAmIView.as_view()),
    path("api/items/", views.ItemCreateView.as_view()),
    path("api/boom/", views.BoomView.as_view()),
    path("api/attributes/", request_attributes),
    path("api/plain/", plain_post),
    path("api/bad-log-extra/", bad_log_extra),
]
