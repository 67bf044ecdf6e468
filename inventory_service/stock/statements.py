"""The statements of every checkout's reservation, its confirmation and a release, made once per process.

Django compiles a queryset's SQL anew each time it runs; on these paths that was most
of the CPU they took (docs/performance.md), while the statements differ only in their
values, or in how many lines a reservation has. The reads run the SQL the ORM wrote the
first time (for that many lines) through raw(), which converts each field as a
queryset does; the writes are written out (a hold's by common.statements.update_by_key), each value through its field's
get_db_prep_save as the ORM sends it. PostgreSQL and SQLite read the same statements;
stock/tests/test_statements.py holds their rows to the ORM's.
"""

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, TypeVar

from django.db import connection, models
from django.db.models.query import RawQuerySet

from common.db import concrete_field, quoted_column, quoted_table
from common.statements import update_by_key
from stock.models import Reservation, ReservationLine, StockItem, Warehouse

_M = TypeVar("_M", bound=models.Model)


def _prepared(model: type[models.Model], name: str, value: Any) -> Any:
    return concrete_field(model, name).get_db_prep_save(value, connection)


@functools.cache
def _default_warehouse(lock: Literal["update", "share"] | None) -> tuple[str, tuple[Any, ...]]:
    # One default at most (the constraint one_default_warehouse): no ordering or limit.
    default = Warehouse.objects.filter(is_default=True).order_by()
    if lock == "update":
        default = default.select_for_update()
    sql, params = default.query.sql_with_params()
    if lock == "share" and connection.features.has_select_for_update:
        # Django's queryset has no FOR SHARE; SQLite has no row locks (its writers take turns).
        sql += " FOR SHARE"
    return sql, params


def default_warehouse(lock: Literal["update", "share"] | None) -> "RawQuerySet[Warehouse]":
    """The default warehouse's row, if any, locked FOR UPDATE or FOR SHARE with `lock`
    (the update's statement checks that it is in a transaction only when first made:
    its callers are all atomic)."""
    sql, params = _default_warehouse(lock)
    return Warehouse.objects.raw(sql, params)


@functools.cache
def _stock_items_locked(types: int, ids: int) -> str:
    # Stand-in values, distinct so that the check below sees each one's place.
    type_values = tuple(f"type-{n}" for n in range(types))
    id_values = tuple(range(-1, -ids - 1, -1))
    items = StockItem.objects.filter(warehouse_id=0, product_type__in=type_values, product_id__in=id_values)
    sql, params = items.order_by("id").select_for_update().query.sql_with_params()
    if params != (*id_values, *type_values, 0):  # the ORM's order, its lookups sorted by name
        raise ValueError(f"unexpected parameters in the stock items' read: {params}")
    return sql


def stock_items_locked(*, warehouse_id: int, types: Iterable[str], ids: Iterable[int]) -> "RawQuerySet[StockItem]":
    """The warehouse's stock items of any of `types` and `ids`, locked in id order."""
    types, ids = list(dict.fromkeys(types)), list(dict.fromkeys(ids))
    return StockItem.objects.raw(_stock_items_locked(len(types), len(ids)), [*ids, *types, warehouse_id])


@functools.cache
def _units_move(lines: int, taken_from: str, put_into: str | None) -> str:
    quantity = f"CASE {quoted_column(StockItem, 'id')} {' '.join(['WHEN %s THEN %s'] * lines)} END"
    changes = [f"{quoted_column(StockItem, taken_from)} = {quoted_column(StockItem, taken_from)} - {quantity}"]
    if put_into is not None:
        changes.append(f"{quoted_column(StockItem, put_into)} = {quoted_column(StockItem, put_into)} + {quantity}")
    changes.append(f"{quoted_column(StockItem, 'updated_at')} = %s")
    return (
        f"UPDATE {quoted_table(StockItem)} SET {', '.join(changes)} "  # noqa: S608 (names from the model)
        f"WHERE {quoted_column(StockItem, 'id')} IN ({', '.join(['%s'] * lines)}) "
        f"AND {quoted_column(StockItem, taken_from)} >= {quantity}"
    )


def units_move(
    moves: list[tuple[int, int]],
    *,
    taken_from: Literal["available", "reserved"],
    put_into: Literal["available", "reserved"] | None,
    at: datetime,
) -> int:
    """Takes each (stock item id, units) pair's units off its item's `taken_from` and
    adds them to `put_into` (None: off the shelves), in one statement that changes only
    the items that have them; how many items it changed."""
    quantities = [value for move in moves for value in move]
    params = [*quantities] * (2 if put_into else 1)
    params += [_prepared(StockItem, "updated_at", at), *(item_id for item_id, _ in moves), *quantities]
    with connection.cursor() as cursor:
        cursor.execute(_units_move(len(moves), taken_from, put_into), params)
        return cursor.rowcount


@functools.cache
def _held_condition(unconfirmed: bool, expired: bool) -> str:
    conditions = [f"{quoted_column(Reservation, 'status')} = %s"]
    if unconfirmed:
        conditions.append(f"{quoted_column(Reservation, 'confirmed_at')} IS NULL")
    if expired:
        conditions.append(f"{quoted_column(Reservation, 'expires_at')} < %s")
    return "".join(f" AND {condition}" for condition in conditions)


def held_update(
    reference: str, changes: dict[str, Any], *, unconfirmed: bool = False, expired_by: datetime | None = None
) -> bool:
    """Writes `changes` (field name -> value) to the reservation named `reference` if it
    is held (and not confirmed yet, if `unconfirmed`; past its expiry at `expired_by`, if
    given): one statement, which takes the reservation's row lock; whether it did."""
    values = [Reservation.Status.HELD.value]
    if expired_by is not None:
        values.append(_prepared(Reservation, "expires_at", expired_by))
    condition = _held_condition(unconfirmed, expired_by is not None)
    return (
        update_by_key(Reservation, reference, changes, key="reference", condition=condition, condition_params=values)
        == 1
    )


@functools.cache
def _reservation_with_lines(lock_items: bool) -> str:
    reservation, line, item = quoted_table(Reservation), quoted_table(ReservationLine), quoted_table(StockItem)
    columns = [f"{reservation}.{quoted_column(Reservation, field.name)}" for field in Reservation._meta.concrete_fields]
    columns += [f"{line}.{quoted_column(ReservationLine, name)} AS {alias}" for name, alias in LINE_COLUMNS.items()]
    columns += [f"{item}.{quoted_column(StockItem, name)} AS {alias}" for name, alias in ITEM_COLUMNS.items()]
    # Locked: only a reservation with lines (a row lock cannot be taken on the nullable
    # side of an outer join), its items in id order; else the reservation with or without.
    join = "INNER JOIN" if lock_items else "LEFT OUTER JOIN"
    order = f"{line}.{quoted_column(ReservationLine, 'stock_item_id' if lock_items else 'id')} ASC"
    if lock_items and connection.features.has_select_for_update_of:  # SQLite has no row locks
        order += f" FOR UPDATE OF {item}"
    line_reservation = f"{line}.{quoted_column(ReservationLine, 'reservation_id')}"
    line_item = f"{line}.{quoted_column(ReservationLine, 'stock_item_id')}"
    return (
        f"SELECT {', '.join(columns)} FROM {reservation} "  # noqa: S608 (names from the models)
        f"{join} {line} ON ({line_reservation} = {reservation}.{quoted_column(Reservation, 'id')}) "
        f"{join} {item} ON ({line_item} = {item}.{quoted_column(StockItem, 'id')}) "
        f"WHERE {reservation}.{quoted_column(Reservation, 'reference')} = %s ORDER BY {order}"
    )


# The columns of a reservation's lines and their stock items read with it (by attname),
# each under an alias on the row read: all of a line's, a stock item's but its times.
LINE_COLUMNS = {"id": "line_id", "stock_item_id": "line_stock_item_id", "quantity": "line_quantity"}
ITEM_COLUMNS = {
    "id": "item_id",
    "warehouse_id": "item_warehouse_id",
    "product_type": "item_product_type",
    "product_id": "item_product_id",
    "available": "item_available",
    "reserved": "item_reserved",
}


def reservation_with_lines(reference: str, *, lock_items: bool) -> tuple[Reservation, list[ReservationLine]] | None:
    """The reservation named `reference` and its lines in id order, each with its
    reservation and stock item (whose times are left unread); None if there is none.
    With `lock_items`, only one with lines: its items are locked in id order."""
    rows = list(Reservation.objects.raw(_reservation_with_lines(lock_items), [reference]))
    if not rows:
        return None
    reservation = rows[0]
    lines = [_line_of(row, reservation) for row in rows if getattr(row, LINE_COLUMNS["id"]) is not None]
    if lock_items:
        lines.sort(key=lambda line: line.pk)
    return reservation, lines


def _line_of(row: Any, reservation: Reservation) -> ReservationLine:
    db = reservation._state.db
    item = _model_of(StockItem, db, {name: getattr(row, alias) for name, alias in ITEM_COLUMNS.items()})
    values = {"reservation_id": reservation.pk} | {name: getattr(row, alias) for name, alias in LINE_COLUMNS.items()}
    line = _model_of(ReservationLine, db, values)
    line.reservation, line.stock_item = reservation, item
    return line


def _model_of(model: type[_M], db: str | None, values: dict[str, Any]) -> _M:
    """An instance of `model` as read from `db` with `values` (by attname; the fields left
    out deferred): from_db takes them in the order of the model's fields."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(db, names, [values[name] for name in names])
