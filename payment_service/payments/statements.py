"""The payment's statements on every card payment's path, made once per process: its
conditional UPDATE, and whether its order was cancelled.

Django compiles a queryset's update() anew each time it runs, most of the CPU of these
writes, while they differ only in their values. The statement is written out from the
model's table and columns, each value through its field's get_db_prep_save as the ORM
sends it; PostgreSQL and SQLite read the same statement. tests/test_statements.py holds
its rows to the ORM's.
"""

import functools
from collections.abc import Sequence
from typing import Any, cast

from django.db import connection, models

from payments.models import Payment


def _table() -> str:
    return connection.ops.quote_name(Payment._meta.db_table)


def _field(name: str) -> "models.Field[Any, Any]":
    return cast("models.Field[Any, Any]", Payment._meta.get_field(name))  # a concrete field, not a relation


def _column(name: str) -> str:
    return connection.ops.quote_name(cast(str, _field(name).column))  # a concrete field has its column


@functools.cache
def _update_statement(fields: tuple[str, ...], expected: int, unless_cancelled: bool) -> str:
    assignments = ", ".join(f"{_column(name)} = %s" for name in fields)
    statuses = ", ".join(["%s"] * expected)
    cancelled = f" AND {_column('order_cancelled')} = %s" if unless_cancelled else ""
    where = f"{_column('id')} = %s AND {_column('status')} IN ({statuses}){cancelled}"
    return f"UPDATE {_table()} SET {assignments} WHERE {where}"  # noqa: S608 (only names from the model)


def payment_update_if(
    payment_id: int, *, expected: Sequence[str], unless_cancelled: bool, changes: dict[str, Any]
) -> bool:
    """UPDATE the payment's `changes` (field name -> value) if its status is one of
    `expected` (and, `unless_cancelled`, its order was not cancelled); whether it did."""
    params = [_field(name).get_db_prep_save(value, connection) for name, value in changes.items()]
    params += [payment_id, *expected]
    if unless_cancelled:
        params.append(False)
    with connection.cursor() as cursor:
        cursor.execute(_update_statement(tuple(changes), len(expected), unless_cancelled), params)
        return cursor.rowcount > 0


@functools.cache
def _cancelled_statement() -> str:
    return f"SELECT 1 FROM {_table()} WHERE {_column('id')} = %s AND {_column('order_cancelled')} = %s"  # noqa: S608 (only names from the model)


def payment_order_cancelled(payment_id: int) -> bool:
    """Whether the payment's order was cancelled while it was under way."""
    with connection.cursor() as cursor:
        cursor.execute(
            _cancelled_statement(), [payment_id, _field("order_cancelled").get_db_prep_value(True, connection)]
        )
        return cursor.fetchone() is not None
