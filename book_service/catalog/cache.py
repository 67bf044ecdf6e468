"""The catalog's answers to reads (books: lists, searches, one book, batch reads), kept in
Django's cache until the next write to a book, author or category (signals.py) or for
CATALOG_CACHE_SECONDS; docs/architecture.md, "Caches"."""

from common.cache import ReadCache

CATALOG = ReadCache("catalog", seconds_setting="CATALOG_CACHE_SECONDS")
