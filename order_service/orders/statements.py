"""An order's UPDATE on every payment's and cancel's path, made once per process.

Django's save(update_fields=...) builds its UPDATE anew each time, most of the CPU of
this write, while it differs only in its values. The statement is written out from the
model's table and columns, each value through its field's pre_save (updated_at: now)
and get_db_prep_save as save() sends it; PostgreSQL and SQLite read the same statement.
tests/test_statements.py holds its rows to the ORM's.
"""

import functools
from typing import Any, cast

from django.db import DatabaseError, connection, models

from orders.models import Order


def _field(name: str) -> "models.Field[Any, Any]":
    return cast("models.Field[Any, Any]", Order._meta.get_field(name))  # a concrete field, not a relation


@functools.cache
def _update_statement(fields: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(cast(str, _field(name).column))} = %s" for name in fields)
    key = quote(cast(str, _field("id").column))
    return f"UPDATE {quote(Order._meta.db_table)} SET {assignments} WHERE {key} = %s"  # noqa: S608 (names from the model)


def order_fields_save(order: Order, fields: tuple[str, ...]) -> None:
    """save(update_fields=fields) of a stored order, in one statement made once per set of
    fields: an auto_now field among them (updated_at) is set to now on `order` too."""
    params = [_field(name).get_db_prep_save(_field(name).pre_save(order, add=False), connection) for name in fields]
    with connection.cursor() as cursor:
        cursor.execute(_update_statement(fields), [*params, order.pk])
        if cursor.rowcount != 1:  # as save() refuses it
            raise DatabaseError("Save with update_fields did not affect any rows.")
