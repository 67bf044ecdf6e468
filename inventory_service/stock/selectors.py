"""Reads of warehouses and stock."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import Count, F, Q, QuerySet, Sum

from common.errors import NotFound
from stock import statements
from stock.errors import StockErrorCode
from stock.models import CAPACITY_FIELDS, ProductType, StockItem, Warehouse


@dataclass(frozen=True)
class TypeUsage:
    """One product type in one warehouse, in units."""

    capacity: int
    used: int  # on the shelves: available plus reserved
    reserved: int
    products: int  # products with at least one unit on the shelves

    @property
    def free(self) -> int:
        # Never negative, even if an admin lowered a capacity below the stock.
        return max(self.capacity - self.used, 0)


def warehouse_get_default(*, lock: Literal["update", "share"] | None = None) -> Warehouse:
    """The default warehouse, the one the API acts on. With `lock`, its row is locked
    for the rest of the transaction: "update" by the writes that check or change
    capacities, "share" by those that only need its status to stay as read (many
    reservations hold it at once; no capacity or status change meanwhile)."""
    warehouse = next(iter(statements.default_warehouse(lock)), None)
    if warehouse is None:
        raise NotFound(
            "There is no warehouse yet: create it with POST /api/warehouse/.", code=StockErrorCode.WAREHOUSE_NOT_FOUND
        )
    return warehouse


def warehouse_usage(*, warehouse: Warehouse) -> dict[str, TypeUsage]:
    """Capacity, used and reserved units and number of products per product type, in one query."""
    rows = {
        row["product_type"]: row
        for row in StockItem.objects.filter(warehouse=warehouse)
        .values("product_type")
        .annotate(
            used=Sum(F("available") + F("reserved")),
            reserved_units=Sum("reserved"),
            products=Count("id", filter=Q(available__gt=0) | Q(reserved__gt=0)),
        )
        .order_by()
    }
    usage = {}
    for product_type in ProductType:
        row: Mapping[str, Any] = rows.get(product_type, {})
        usage[product_type.value] = TypeUsage(
            capacity=getattr(warehouse, CAPACITY_FIELDS[product_type]),
            used=row.get("used") or 0,
            reserved=row.get("reserved_units") or 0,
            products=row.get("products") or 0,
        )
    return usage


def type_usage(*, warehouse: Warehouse, product_type: str) -> TypeUsage:
    return warehouse_usage(warehouse=warehouse)[product_type]


def stock_item_get(*, warehouse: Warehouse, product_type: str, product_id: int, for_update: bool = False) -> StockItem:
    """One product's stock item; locked for the rest of the transaction with for_update."""
    items = StockItem.objects.filter(warehouse=warehouse, product_type=product_type, product_id=product_id)
    item = (items.select_for_update() if for_update else items).first()
    if item is None:
        raise NotFound(
            f"The warehouse does not stock {product_type} {product_id}.", code=StockErrorCode.PRODUCT_NOT_STOCKED
        )
    return item


def stock_items_by_ids(*, warehouse: Warehouse, product_type: str, ids: list[int]) -> QuerySet[StockItem]:
    """The stock items among `ids` of one product type, in one query."""
    return StockItem.objects.filter(warehouse=warehouse, product_type=product_type, product_id__in=ids)


def in_stock_product_ids(*, warehouse: Warehouse, product_type: str) -> list[int]:
    """The ids of the products of one type with units that can be sold now, in order."""
    items = StockItem.objects.filter(warehouse=warehouse, product_type=product_type, available__gt=0)
    return list(items.order_by("product_id").values_list("product_id", flat=True))
