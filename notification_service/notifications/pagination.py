from rest_framework.response import Response

from common.pagination import PageNumberPagination


class NotificationPagination(PageNumberPagination):
    """The usual page, plus `unread_count`: the listed customer's unread notifications
    (all of them, not only this page's), which the view works out."""

    def paginate_queryset(self, queryset, request, view=None):
        self.unread_count = view.unread_count
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data) -> Response:
        response = super().get_paginated_response(data)
        response.data["unread_count"] = self.unread_count
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["unread_count"] = {"type": "integer", "example": 2}
        paginated["required"].append("unread_count")
        return paginated
