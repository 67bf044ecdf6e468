"""book_service as the cart sees it: the title and price of books, by id.

Every call is one batch read, GET /api/books/?ids=1,2,3, which answers
{"count", "results": [{"id", "title", "price", ...}], "missing_ids"}.
"""

import logging
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from common.batch import MAX_BATCH_IDS
from common.errors import ServiceUnavailable
from common.http import client_for

logger = logging.getLogger(__name__)

SERVICE = "book"
MAX_IDS_PER_CALL = MAX_BATCH_IDS  # book_service's batch read limit


@dataclass(frozen=True)
class Book:
    id: int
    title: str
    price: Decimal


class _Unreadable(ValueError):
    pass


def books_fetch(*, ids: Collection[int]) -> dict[int, Book]:
    """The books among `ids` that exist, by id, from one call to book_service.

    Raises ServiceUnavailable (503) or ServiceTimeout (504) naming book_service
    when it is down, slow, or answers something that is not a batch read.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    if len(wanted) > MAX_IDS_PER_CALL:
        raise ValueError(f"At most {MAX_IDS_PER_CALL} ids per call, not {len(wanted)}.")
    # The ids are digits and commas: written into the path, not encoded by requests.
    response = client_for(SERVICE).get(
        f"/api/books/?ids={','.join(str(book_id) for book_id in wanted)}",
        timeout=(settings.SERVICE_CONNECT_TIMEOUT, settings.CART_BOOK_READ_TIMEOUT),
    )
    try:
        if response.status_code != 200:
            raise _Unreadable(f"status {response.status_code}")
        results = response.json()["results"]
        if not isinstance(results, list):
            raise _Unreadable("results is not a list")
        books = [_book(item) for item in results]
    except (ValueError, KeyError, TypeError) as error:  # requests' JSONDecodeError is a ValueError
        logger.warning("unreadable batch read from %s service: %s", SERVICE, error)
        raise ServiceUnavailable(SERVICE, f"The {SERVICE} service gave an answer the cart cannot read.") from error
    requested = set(wanted)
    return {book.id: book for book in books if book.id in requested}


def _book(item: Any) -> Book:
    book_id, title, price = item["id"], item["title"], item["price"]
    if type(book_id) is not int or not isinstance(title, str) or not isinstance(price, str):
        raise _Unreadable(f"unexpected types in {item!r:.200}")
    try:
        amount = Decimal(price)
    except InvalidOperation:
        raise _Unreadable(f"price {price!r:.50}") from None
    if not amount.is_finite() or amount < 0:
        raise _Unreadable(f"price {price!r:.50}")
    return Book(id=book_id, title=title, price=amount)
