"""common.pagination: ?page_size= is a positive whole number, capped at 100."""

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from common.pagination import PageNumberPagination


def page_size_for(query: str) -> int | None:
    return PageNumberPagination().get_page_size(Request(APIRequestFactory().get(f"/items/?{query}")))


@pytest.mark.parametrize(("query", "expected"), [("", 20), ("page_size=5", 5), ("page_size=100000", 100)])
def test_page_size_defaults_and_is_capped(query, expected):
    assert page_size_for(query) == expected


@pytest.mark.parametrize("value", ["null", "0", "-3", "2.5", "", "٣", "1e3"])
def test_a_page_size_that_is_not_a_positive_whole_number_is_a_400_naming_it(value):
    with pytest.raises(ValidationError) as raised:
        page_size_for(f"page_size={value}")

    assert set(raised.value.detail) == {"page_size"}


def test_a_blank_page_is_a_400_naming_it_not_page_one():  # found by Schemathesis
    paginator = PageNumberPagination()
    request = Request(APIRequestFactory().get("/items/?page="))

    with pytest.raises(ValidationError) as raised:
        paginator.paginate_queryset(list(range(30)), request)

    assert set(raised.value.detail) == {"page"}


def test_page_two_is_still_page_two():
    request = Request(APIRequestFactory().get("/items/?page=2&page_size=10"))

    assert PageNumberPagination().paginate_queryset(list(range(30)), request) == list(range(10, 20))
