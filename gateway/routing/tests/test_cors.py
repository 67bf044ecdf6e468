"""The gateway's CORS middleware answers exactly as django-cors-headers' own, whose
work it skips for a request without an Origin."""

import pytest
from corsheaders.middleware import CorsMiddleware as CorsHeadersMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from routing.cors import CorsMiddleware


def answer(request):
    response = HttpResponse(b"{}", content_type="application/json")
    response["Vary"] = "Accept, Authorization"
    return response


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", {}),
        ("POST", {}),
        ("GET", {"HTTP_ORIGIN": "https://shop.example.com"}),
        ("GET", {"HTTP_ORIGIN": "https://evil.example.com"}),
        ("OPTIONS", {"HTTP_ORIGIN": "https://shop.example.com", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST"}),
        ("OPTIONS", {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST"}),
        ("OPTIONS", {}),
    ],
)
@pytest.mark.parametrize("urls", [r"^.*$", r"^/api/.*$", r"^/admin/.*$"])
def test_answers_as_django_cors_headers_does(settings, method, headers, urls):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]
    settings.CORS_URLS_REGEX = urls

    def through(middleware_class):
        request = RequestFactory().generic(method, "/api/books/1/", **headers)
        response = middleware_class(answer)(request)
        return response.status_code, list(response.items()), response.content

    assert through(CorsMiddleware) == through(CorsHeadersMiddleware)


def test_it_is_the_gateways_cors_middleware(settings):
    assert "routing.cors.CorsMiddleware" in settings.MIDDLEWARE
    assert "corsheaders.middleware.CorsMiddleware" not in settings.MIDDLEWARE
