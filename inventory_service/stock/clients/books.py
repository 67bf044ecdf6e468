"""Calls to book_service: does a book exist?"""

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
