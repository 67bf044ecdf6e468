"""What a page costs, for the tests that bound it whatever its size."""

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_of_get(client: Any, url: str) -> int:
    """The database queries one GET of `url` makes; the page must answer 200."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
    return len(queries)
