"""Statements made once per process, for the reads and writes on the paths every
purchase takes.

Django builds an INSERT or UPDATE anew each time save(), bulk_create() or update()
runs, and compiles a queryset's SQL anew each time it is read, most of the CPU of these
statements, while they differ only in their values. The writes are written out from a
model's table and columns, values through each field's pre_save or get_db_prep_save,
as the ORM sends them; the reads by key run the SQL the ORM wrote the first time.
PostgreSQL and SQLite (3.35 and later, for RETURNING) read the same statements.
"""

import functools
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import DatabaseError, connection, models
from django.db.models import QuerySet

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


def statement_by_key(rows: Callable[[int], QuerySet[Any]]) -> Callable[[], str]:
    """The SQL the ORM writes for `rows(key)`, written once for the process, for a read
    run by a cursor or raw(): the key is its one parameter."""

    @functools.cache
    def sql() -> str:
        statement, params = rows(0).query.sql_with_params()
        if params != (0,):
            raise ValueError(f"a read by key takes the key as its one parameter, not {params}")
        return statement

    return sql


class ReadByKey(Generic[_M]):
    """The rows of `rows(key)`, read with the SQL the ORM wrote for the first key.
    raw() would still find the columns, their converters and the model's fields again
    on each read. Kept with the SQL: the compiler's converters for its columns (each
    field converted from the database as the queryset's would be), and the rows are made
    by Model.from_db, as a queryset makes them. A locking one compiles, and so checks
    that it is in a transaction, only the first time: its callers must all be atomic."""

    def __init__(self, rows: Callable[[int], QuerySet[_M]]) -> None:
        self._rows = rows
        self._compiled: tuple[type[_M], str, list[str], dict[int, tuple[list[Any], Any]]] | None = None

    def __call__(self, key: int) -> list[_M]:
        if self._compiled is None:
            self._compiled = self._compile(self._rows(key), key)
        model, sql, names, converters = self._compiled
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            rows = cursor.fetchall()
        found = []
        for row in rows:
            values = list(row)
            for position, (functions, expression) in converters.items():
                for convert in functions:  # as the queryset's compiler applies them, with this thread's connection
                    values[position] = convert(values[position], expression, connection)
            found.append(model.from_db(connection.alias, names, values))
        return found

    @staticmethod
    def _compile(queryset: QuerySet[_M], key: int) -> tuple[type[_M], str, list[str], dict[int, tuple[list[Any], Any]]]:
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        if params != (key,):
            raise ValueError(f"a read by key takes the key as its one parameter, not {params}")
        columns = [column for column, _, _ in compiler.select]
        names = [column.target.attname for column in columns]
        if names != [field.attname for field in queryset.model._meta.concrete_fields]:
            raise ValueError(f"a read by key reads every field of its model in order, not {names}")
        return queryset.model, sql, names, compiler.get_converters(columns)
