"""Database helpers every service may use."""

import contextlib
import functools
from collections.abc import Iterator
from typing import Any, TypeVar, cast

from django.db import connection, models, transaction

_M = TypeVar("_M", bound=models.Model)


def concrete_field(model: type[models.Model], name: str) -> "models.Field[Any, Any]":
    """`model`'s field `name`, one with a column (the stubs allow a relation's other side,
    which has none)."""
    return cast("models.Field[Any, Any]", model._meta.get_field(name))


def quoted_table(model: type[models.Model]) -> str:
    """`model`'s table, quoted for a statement written out."""
    return connection.ops.quote_name(model._meta.db_table)


def quoted_column(model: type[models.Model], name: str) -> str:
    """The column of `model`'s field `name`, quoted for a statement written out."""
    return connection.ops.quote_name(cast(str, concrete_field(model, name).column))


@functools.cache
def insert_head(model: type[models.Model]) -> tuple[list["models.Field[Any, Any]"], str]:
    """The fields an INSERT of `model` writes (all but an auto-increment key) and the
    statement up to its VALUES, made once for the process."""
    meta = model._meta
    fields = [field for field in meta.local_concrete_fields if field is not meta.auto_field]
    columns = ", ".join(quoted_column(model, field.name) for field in fields)
    return fields, f"INSERT INTO {quoted_table(model)} ({columns}) VALUES "  # noqa: S608 (names from the model)


@functools.cache
def _insert_unless_present(
    model: type[models.Model], unique: tuple[str, ...]
) -> tuple[list["models.Field[Any, Any]"], str]:
    """The fields create_unless_present writes for `model` and its statement, made once
    for the process: building the text was a good part of the CPU each call took, on the
    paths every purchase takes."""
    fields, head = insert_head(model)
    placeholders = ", ".join(["%s"] * len(fields))
    unique_columns = ", ".join(quoted_column(model, name) for name in unique)
    pk = quoted_column(model, model._meta.pk.name)
    return fields, f"{head}({placeholders}) ON CONFLICT ({unique_columns}) DO NOTHING RETURNING {pk}"


def create_unless_present(model: type[_M], *, unique: tuple[str, ...], **values: Any) -> _M | None:
    """A new row of `model` with `values`, unless one with the same `unique` fields
    exists: the new instance, or None.

    One statement, INSERT ... ON CONFLICT DO NOTHING RETURNING (PostgreSQL, and SQLite
    since 3.35), where `create()` would need a transaction or a savepoint around it to
    catch the IntegrityError: three round trips to the database instead of one, each a
    wait for a core on a busy machine (docs/performance.md). `values` are given as to
    create(); the fields left out get their defaults, and auto_now(_add) fields the
    time, as create() would give them."""
    instance = model(**values)
    fields, statement = _insert_unless_present(model, unique)
    params = [field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    if row is None:
        return None
    if instance.pk is None:  # an auto-increment key, made by the database
        instance.pk = row[0]
    instance._state.adding, instance._state.db = False, connection.alias
    return instance


def filter_given(rows: "models.QuerySet[_M]", **lookups: object) -> "models.QuerySet[_M]":
    """`rows` filtered by each lookup whose value is not None: a list's optional filters
    (?status=, ?user_id=) in one line, a filter nobody asked for left out."""
    given = {lookup: value for lookup, value in lookups.items() if value is not None}
    return rows.filter(**given) if given else rows


@contextlib.contextmanager
def one_snapshot() -> Iterator[None]:
    """Reads that all see the database as of one moment, so that an answer's parts agree
    (a page, its count and its unread count) while other requests commit rows between
    them. Inside a transaction already open, that one is the snapshot. Otherwise a
    read-only transaction: on PostgreSQL REPEATABLE READ (its default, READ COMMITTED,
    takes a snapshot per statement); on SQLite a deferred one, whose first read fixes
    what it sees in WAL mode."""
    if connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()  # a new connection would reset transaction_mode below
    if connection.vendor == "sqlite":
        # This project's IMMEDIATE mode would take the write lock at BEGIN and hold
        # every writer back while we only read.
        sqlite: Any = connection  # django-stubs do not know its transaction_mode
        immediate, sqlite.transaction_mode = sqlite.transaction_mode, "DEFERRED"
        try:
            with transaction.atomic():
                sqlite.transaction_mode = immediate
                yield
        finally:
            sqlite.transaction_mode = immediate
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
