"""Settings of the book service: authors, categories, books."""

from pathlib import Path

from common.settings import env_float, service_settings

globals().update(service_settings("book", base_dir=Path(__file__).resolve().parent.parent, apps=["catalog"]))
# How long a cached answer of the catalog is kept at most (catalog/cache.py); 0: none is.
CATALOG_CACHE_SECONDS = env_float("CATALOG_CACHE_SECONDS", 60.0)
# How long a page of books waits for inventory to say which are in stock before it
# answers "in_stock": null (unknown) instead (catalog/clients/inventory.py).
CATALOG_STOCK_READ_TIMEOUT = env_float("CATALOG_STOCK_READ_TIMEOUT", 0.5)
