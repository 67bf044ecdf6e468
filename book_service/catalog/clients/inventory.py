"""inventory_service as the catalog sees it: the ids of every book in stock
(GET /api/warehouse/items/in-stock/, public), for `manage.py stock_sync`. Reads do not
ask it: each book's in_stock is kept from inventory's stock.availability_changed events."""

from common.errors import ServiceUnavailable
from common.http import client_for, peer_body

SERVICE = "inventory"


def in_stock_book_ids() -> list[int]:
    """The ids of every book with a unit for sale; none when there is no warehouse yet.
    Raises ServiceUnavailable or ServiceTimeout naming inventory when it cannot say."""
    response = client_for(SERVICE).get("/api/warehouse/items/in-stock/")  # the client's timeouts: a long list
    if response.status_code == 404:  # no warehouse: nothing is in stock
        return []
    if response.status_code != 200:
        raise ServiceUnavailable(SERVICE, f"The {SERVICE} service refused the stock read ({response.status_code}).")
    return peer_body(response, service=SERVICE, shape={"product_ids": [int]})["product_ids"]
