"""common.negotiation.ContentNegotiation chooses what DRF's DefaultContentNegotiation
chooses (or refuses what it refuses), without building Django's `request.headers`."""

from unittest.mock import ANY

import pytest
from django.http import Http404
from rest_framework import exceptions, renderers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from common import negotiation
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
@pytest.mark.parametrize("query", ["", "?format=json", "?format=api", "?format=xml", "?page=2"])
def test_the_choice_is_drfs(renderer_list, accept, query):
    drfs = choice(DefaultContentNegotiation(), accept, renderer_list, query)
    negotiation._CHOICES.clear()

    assert choice(ContentNegotiation(), accept, renderer_list, query) == drfs
    assert choice(ContentNegotiation(), accept, renderer_list, query) == drfs  # the kept choice


@pytest.mark.parametrize("suffix", ["json", "api", "xml"])
def test_a_format_suffix_is_chosen_as_drf_chooses_it(suffix):
    def chosen(negotiation_class):
        request = Request(APIRequestFactory().get("/api/books/", HTTP_ACCEPT="text/html"))
        renderer_list = [JSONRenderer(), renderers.BrowsableAPIRenderer()]
        try:
            renderer, media_type = negotiation_class().select_renderer(request, renderer_list, suffix)
        except (exceptions.NotAcceptable, Http404) as exc:
            return type(exc).__name__
        return renderer_list.index(renderer), media_type

    assert chosen(ContentNegotiation) == chosen(ContentNegotiation) == chosen(DefaultContentNegotiation)


def test_a_choice_is_kept_for_the_renderers_it_was_made_among():
    negotiation._CHOICES.clear()
    choice(ContentNegotiation(), "application/json", [JSONRenderer()])

    class OtherJSON(JSONRenderer):
        media_type = "application/vnd.other+json"

    assert choice(ContentNegotiation(), "application/json", [OtherJSON()]) == ("NotAcceptable", ANY)
    assert len(negotiation._CHOICES) == 1  # a refusal is not kept


def test_few_choices_are_kept_and_no_long_header():
    negotiation._CHOICES.clear()
    for n in range(negotiation._KEPT_CHOICES + 10):
        choice(ContentNegotiation(), f"application/json; v={n}", [JSONRenderer()])
    choice(ContentNegotiation(), "application/json; " + "v" * 300, [JSONRenderer()])

    assert 0 < len(negotiation._CHOICES) <= negotiation._KEPT_CHOICES
    assert not any(len(accept or "") > negotiation._KEPT_ACCEPT_LENGTH for _, accept, _ in negotiation._CHOICES)


def test_the_headers_mapping_is_not_built():
    django_request = APIRequestFactory().get("/api/books/", HTTP_ACCEPT="application/json")

    ContentNegotiation().select_renderer(Request(django_request), [JSONRenderer()])

    assert "headers" not in vars(django_request)  # Django's cached_property, never read


def test_it_is_the_services_negotiation(client):
    response = client.get("/whoami/", HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response.json()["error"]["code"] == "not_acceptable"
