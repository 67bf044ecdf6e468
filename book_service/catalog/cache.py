"""The catalog's answers to reads (books: lists, searches, one book, batch reads), kept in
Django's cache until the next write to a book, author or category (signals.py) or for
CATALOG_CACHE_SECONDS; docs/architecture.md, "Caches".

One book's answer reads that book, its author's and its category's names: it is renewed
by a write to that book (`book_part`) or to any author or category, not by writes to other
books, which are most of the shop's writes (a new book, a new price, a book's stock)."""

from common.cache import ReadCache

CATALOG = ReadCache("catalog", seconds_setting="CATALOG_CACHE_SECONDS")


def book_part(book_id: int) -> str:
    """The part of the catalog one book's answer reads (common.cache.ReadCache)."""
    return f"book:{book_id}"
