from typing import Any

from django.core.paginator import Paginator
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination as DrfPageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response


class PageNumberPagination(DrfPageNumberPagination):
    """count, next, previous, results; ?page= and ?page_size= (at most 100)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int | None:
        # DRF falls back to the default for a page_size it cannot read; a client that
        # sent one should hear it was wrong instead (larger ones are still capped).
        value = request.query_params.get(self.page_size_query_param)
        if value is not None and not (value.isascii() and value.isdigit() and int(value) > 0):
            raise ValidationError({self.page_size_query_param: ["A positive whole number is required."]})
        return super().get_page_size(request)

    def get_page_number(self, request: Request, paginator: "Paginator[Any]") -> int | str:
        # DRF reads a blank ?page= as page 1; a page that is not a number stays DRF's 404.
        if request.query_params.get(self.page_query_param) == "":
            raise ValidationError({self.page_query_param: ["A page number is required."]})
        return super().get_page_number(request, paginator)


def paginated(view: Any, request: Request, rows: Any, serializer_class: Any) -> Response:
    """One page of `rows`, written with `serializer_class` (given the request, as DRF's
    generic views give it, for absolute URLs), in the view's `pagination_class` envelope
    (which the OpenAPI schema reads from the view too)."""
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(rows, request, view=view)
    data = serializer_class(page, many=True, context={"request": request}).data
    response: Response = paginator.get_paginated_response(data)
    return response
