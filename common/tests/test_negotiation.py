"""common.negotiation.ContentNegotiation chooses what DRF's DefaultContentNegotiation
chooses (or refuses what it refuses), without building Django's `request.headers`."""

import pytest
from django.http import Http404
from rest_framework import exceptions, renderers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from common.negotiation import ContentNegotiation
from common.renderers import JSONRenderer

RENDERER_LISTS = [
    pytest.param([JSONRenderer()], id="the services' one renderer"),
    pytest.param([JSONRenderer(), renderers.BrowsableAPIRenderer()], id="two"),
]
ACCEPTS = [
    None,
    "",
    "*/*",
    "application/json",
    "application/json; indent=4",
    "application/*",
    "text/html",
    "text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8",
    "image/png",
    "application/json;q=0.5, text/html",
    "  , application/json ,,",
    "x" * 300 + ", application/json",
    "application/json, " * 1000,
    "text/plain, " * 100 + "application/json",
]


def choice(negotiation, accept, renderer_list, query=""):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/api/books/{query}", **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, renderer_list)
    except (exceptions.NotAcceptable, Http404) as exc:
        return type(exc).__name__, str(exc)
    return renderer_list.index(renderer), media_type


@pytest.mark.parametrize("renderer_list", RENDERER_LISTS)
@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("query", ["", "?format=json", "?format=api", "?format=xml"])
def test_the_choice_is_drfs(renderer_list, accept, query):
    ours = choice(ContentNegotiation(), accept, renderer_list, query)

    assert ours == choice(DefaultContentNegotiation(), accept, renderer_list, query)


def test_the_headers_mapping_is_not_built():
    django_request = APIRequestFactory().get("/api/books/", HTTP_ACCEPT="application/json")

    ContentNegotiation().select_renderer(Request(django_request), [JSONRenderer()])

    assert "headers" not in vars(django_request)  # Django's cached_property, never read


def test_it_is_the_services_negotiation(client):
    response = client.get("/whoami/", HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response.json()["error"]["code"] == "not_acceptable"
