"""Statements written out once per process from a model's table and columns, for the
writes on the paths every purchase takes.

Django builds an INSERT or UPDATE anew each time save(), bulk_create() or update()
runs, most of the CPU of these writes, while they differ only in their values. Values
go through each field's pre_save or get_db_prep_save, as the ORM sends them;
PostgreSQL and SQLite (3.35 and later, for RETURNING) read the same statements.
"""

import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import DatabaseError, connection, models

from common.db import concrete_field, insert_head, quoted_column, quoted_table

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


@functools.cache
def _update(model: type[models.Model], names: tuple[str, ...], key: str, condition: str) -> tuple[list[Any], str]:
    """The fields named and the UPDATE of `model` setting them where `key` is a value,
    `condition` after it, made once for the process."""
    assignments = ", ".join(f"{quoted_column(model, name)} = %s" for name in names)
    where = f"{quoted_column(model, key)} = %s{condition}"
    fields = [concrete_field(model, name) for name in names]
    return fields, f"UPDATE {quoted_table(model)} SET {assignments} WHERE {where}"  # noqa: S608 (names from the model)


def update_by_key(
    model: type[models.Model],
    key_value: Any,
    changes: dict[str, Any],
    *,
    key: str | None = None,
    condition: str = "",
    condition_params: Sequence[Any] = (),
) -> int:
    """What model.objects.filter(key=key_value).update(**changes) sends (`key`: the primary
    key unless named), each value through its field's get_db_prep_save; `condition` (" AND
    ...", its values in `condition_params`) narrows it. How many rows it changed."""
    fields, statement = _update(model, tuple(changes), key or model._meta.pk.name, condition)
    params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, changes.values(), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, key_value, *condition_params])
        changed: int = cursor.rowcount
    return changed


def fields_save(instance: models.Model, names: tuple[str, ...]) -> None:
    """save(update_fields=names) of a stored instance, in one statement made once per set of
    fields: an auto_now field among them (updated_at) is set to now on `instance` too."""
    model = type(instance)
    fields, statement = _update(model, names, model._meta.pk.name, "")
    params = [field.get_db_prep_save(field.pre_save(instance, add=False), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, instance.pk])
        if cursor.rowcount != 1:  # as save() refuses it
            raise DatabaseError("Save with update_fields did not affect any rows.")
