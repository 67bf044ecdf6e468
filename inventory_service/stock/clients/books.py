"""Calls to book_service: does a book exist? (And, for the admin, the titles of books.)"""

from collections.abc import Sequence

from common.batch import batch_read
from common.errors import ServiceUnavailable
from common.http import client_for

SERVICE = "book"


def book_exists(*, book_id: int) -> bool:
    """True if book_service has the book, False if it answers 404; 503/504 if it is
    down, slow or answers something this service cannot read."""
    response = client_for(SERVICE).get(f"/api/books/{book_id}/")
    if response.status_code == 404:
        return False
    unreadable = ServiceUnavailable(SERVICE, f"The {SERVICE} service answered {response.status_code} unexpectedly.")
    if response.status_code != 200:
        raise unreadable
    try:
        body = response.json()
    except ValueError:
        raise unreadable from None
    if not isinstance(body, dict) or body.get("id") != book_id:
        raise unreadable
    return True


def book_titles_fetch(*, ids: Sequence[int]) -> dict[int, str]:
    """For the admin: {book id: title} of the books among `ids` that exist, from one batch
    read per 100 ids (GET /api/books/?ids=); 503/504 errors naming book_service when it
    cannot say."""
    found = batch_read(service=SERVICE, path="/api/books/", ids=ids, item_shape={"id": int, "title": str})
    return {book["id"]: book["title"] for book in found}
