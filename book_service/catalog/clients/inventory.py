"""inventory_service as the catalog sees it: which books can be bought now.

Two reads, both public in inventory: the stock levels of a page's books
(GET /api/warehouse/items/?ids=, one call per page), and the ids of every book in
stock (GET /api/warehouse/items/in-stock/, for the ?in_stock= filter).
"""

import logging
import time
from collections.abc import Collection

from django.conf import settings

from common.batch import batch_read
from common.errors import DependencyError, ServiceUnavailable
from common.http import client_for, peer_body

logger = logging.getLogger(__name__)

SERVICE = "inventory"
# After inventory failed to say, pages go without asking it for this long: a page
# would otherwise wait out the retries of a connection or the timeout every time.
QUIET_SECONDS = 5.0
_quiet_until = 0.0


def _timeout() -> tuple[float, float]:
    return (settings.SERVICE_CONNECT_TIMEOUT, settings.CATALOG_STOCK_READ_TIMEOUT)


def stock_of(*, book_ids: Collection[int]) -> dict[int, bool] | None:
    """Whether each of `book_ids` has a unit for sale (a book the warehouse does not
    stock has none), in one call; None when inventory cannot say (down, slow, no
    warehouse, an answer it cannot read), or that failed less than QUIET_SECONDS ago:
    the caller shows "unknown", never an error."""
    global _quiet_until
    if time.monotonic() < _quiet_until:
        return None
    try:
        items = batch_read(
            service=SERVICE,
            path="/api/warehouse/items/",
            ids=book_ids,
            item_shape={"product_id": int, "in_stock": bool},
            timeout=_timeout(),
        )
    except DependencyError as error:
        logger.warning("stock unknown for %s s: %s", QUIET_SECONDS, error.message)
        _quiet_until = time.monotonic() + QUIET_SECONDS
        return None
    stocked = {item["product_id"] for item in items if item["in_stock"]}
    return {book_id: book_id in stocked for book_id in book_ids}


def in_stock_book_ids() -> list[int]:
    """The ids of every book with a unit for sale; none when there is no warehouse yet.
    Raises ServiceUnavailable or ServiceTimeout naming inventory when it cannot say."""
    response = client_for(SERVICE).get("/api/warehouse/items/in-stock/")  # the client's timeouts: a long list
    if response.status_code == 404:  # no warehouse: nothing is in stock
        return []
    if response.status_code != 200:
        raise ServiceUnavailable(SERVICE, f"The {SERVICE} service refused the stock read ({response.status_code}).")
    return peer_body(response, service=SERVICE, shape={"product_ids": [int]})["product_ids"]
