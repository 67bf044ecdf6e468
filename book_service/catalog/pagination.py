from typing import cast

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from catalog.selectors import BookRow, BookSearch
from common.errors import NotFound
from common.pagination import PageNumberPagination


def _counted(properties: dict) -> dict:
    return {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {**properties, "count": {"type": "integer"}},
            "required": [*properties, "count"],
        },
    }


_MONEY = {"type": "string", "format": "decimal", "pattern": r"^-?\d{0,8}(?:\.\d{0,2})?$"}
FACETS_SCHEMA = {
    "type": "object",
    "description": "Counts over every match of the search and its filters, not only this page's: "
    "the 20 categories and authors with the most, and every price band (min_price included, "
    "max_price not; null for the top band).",
    "properties": {
        "categories": _counted({"id": {"type": "integer"}, "name": {"type": "string"}}),
        "authors": _counted({"id": {"type": "integer"}, "name": {"type": "string"}}),
        "price_bands": _counted({"min_price": _MONEY, "max_price": {**_MONEY, "nullable": True}}),
    },
    "required": ["categories", "authors", "price_bands"],
}


class BookSearchPagination(PageNumberPagination):
    """Pages of a BookSearch: count is exact below BookSearch.COUNT_CAP, and
    `count_exact` is false when there are at least that many matches (only the
    first COUNT_CAP matches can be paged through; a narrower term finds the rest).
    The view adds the search's `facets` (selectors.book_facets) to the page."""

    request: Request

    # A BookSearch (BookSearchView's), where DRF's pagination is typed for a QuerySet.
    def paginate_queryset(self, search: BookSearch, request, view=None) -> list[BookRow]:  # type: ignore[override]
        self.request = request
        self.page_size = cast(int, self.get_page_size(request))  # never None: the class sets page_size
        try:
            self.page_number = int(request.query_params.get(self.page_query_param, 1))
        except ValueError:
            raise NotFound("Invalid page.") from None
        self.count = search.count()
        offset = (self.page_number - 1) * self.page_size
        if self.page_number < 1 or (offset and offset >= self.count):
            raise NotFound("Invalid page.")
        return search.page(offset, min(self.page_size, self.count - offset))

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "count": self.count,
                "count_exact": self.count < BookSearch.COUNT_CAP,
                "next": self._link(self.page_number + 1) if self.page_number * self.page_size < self.count else None,
                "previous": self._link(self.page_number - 1) if self.page_number > 1 else None,
                "results": data,
            }
        )

    def _link(self, page_number: int) -> str:
        url = self.request.build_absolute_uri()
        if page_number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, page_number)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["count_exact"] = {"type": "boolean", "example": True}
        paginated["properties"]["facets"] = FACETS_SCHEMA
        paginated["required"] += ["count_exact", "facets"]
        return paginated
