"""serializers.query_of: the list's and the search's query strings read with fields made
once, as a fresh serializer reads them (common.serializers.validated_query)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from catalog.serializers import BookListQuerySerializer, BookSearchQuerySerializer, query_of
from common.serializers import validated_query

QUERIES = [
    (BookListQuerySerializer, "page=3"),
    (BookListQuerySerializer, "ids=3,1,2,3"),
    (BookListQuerySerializer, "ids=x"),
    (BookListQuerySerializer, "sort=price&ordering=title"),
    (BookListQuerySerializer, "min_price=20&max_price=10"),
    (BookListQuerySerializer, "published_year=2000&published_year_min=1999"),
    (BookListQuerySerializer, "author=0&category=&in_stock=maybe"),
    (BookListQuerySerializer, "sort=newest&in_stock=true&published_year=2001"),
    (BookSearchQuerySerializer, "search_term=d%E1%BA%BF+m%C3%A8n"),
    (BookSearchQuerySerializer, "search_term=%CC%81"),
    (BookSearchQuerySerializer, "search_term="),
    (BookSearchQuerySerializer, ""),
    (BookSearchQuerySerializer, "search_term=war&sort=cheapest&min_price=-1"),
    (BookSearchQuerySerializer, "search_term=war&sort=title&year_from=1&published_year_max=2000"),
]


def read(read_with, serializer_class, query: str):
    request = Request(APIRequestFactory().get(f"/api/books/?{query}"))
    try:
        return "read", read_with(serializer_class, request)
    except ValidationError as refused:
        return "refused", refused.detail


@pytest.mark.parametrize(("serializer_class", "query"), QUERIES)
def test_a_query_is_read_or_refused_as_a_fresh_serializer_reads_it(serializer_class, query):
    for _ in range(2):
        assert read(query_of, serializer_class, query) == read(validated_query, serializer_class, query)


def test_threads_reading_at_once_each_get_their_own_querys_answer():
    expected = [read(validated_query, serializer_class, query) for serializer_class, query in QUERIES]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: read(query_of, *QUERIES[n % len(QUERIES)]), range(40 * len(QUERIES))))
    assert answers == [expected[n % len(QUERIES)] for n in range(40 * len(QUERIES))]
