"""Statements written out once per process from a model's table and columns, for the
writes on the paths every purchase takes.

Django builds an INSERT or UPDATE anew each time save(), bulk_create() or update()
runs, most of the CPU of these writes, while they differ only in their values. Values
go through each field's pre_save or get_db_prep_save, as the ORM sends them;
PostgreSQL and SQLite (3.35 and later, for RETURNING) read the same statements.
"""

from typing import TypeVar

from django.db import connection, models

from common.db import insert_head, quoted_column

_M = TypeVar("_M", bound=models.Model)


def insert(rows: list[_M]) -> None:
    """Write `rows` (new instances of one model) in one statement, as save() would: defaults
    and auto_now_add times filled, an auto-increment key set from the database's answer
    (given in the order of the rows, as bulk_create relies on too)."""
    meta = rows[0]._meta
    fields, head = insert_head(type(rows[0]))
    placeholders = f"({', '.join(['%s'] * len(fields))})"
    statement = head + ", ".join([placeholders] * len(rows))
    params = [field.get_db_prep_save(field.pre_save(row, add=True), connection) for row in rows for field in fields]
    auto_key = meta.auto_field is not None
    if auto_key:
        statement += f" RETURNING {quoted_column(type(rows[0]), meta.pk.name)}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        keys = [key for (key,) in cursor.fetchall()] if auto_key else []
    for n, row in enumerate(rows):
        if auto_key:
            row.pk = keys[n]
        row._state.adding, row._state.db = False, connection.alias
