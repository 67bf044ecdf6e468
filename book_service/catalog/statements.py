"""The catalog's reads of book rows with the SQL the ORM wrote for them kept for the process.

Django builds and compiles a queryset's SQL anew each time it runs: most of the CPU of a
page, a batch read or one book read (a few hundred microseconds each), while their
statements repeat. A `Statement` is what the ORM compiled once: its SQL, its parameters,
the names of its columns and the converters the ORM applies to each value read
(docs/architecture.md, "Django and DRF internals we rely on"). A read runs it through a
cursor of the current connection and gives the rows the queryset's values() gives.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class Statement:
    """One values() queryset compiled: run with the parameters it was compiled with or,
    for a statement that differs only in them, others of the same number and kinds."""

    sql: str
    params: tuple[Any, ...]
    names: tuple[str, ...]
    converters: tuple[tuple[int, tuple[Converter, ...], Any], ...]  # (column, converters, expression)

    @classmethod
    def of(cls, queryset: QuerySet[Any, Any]) -> "Statement":
        query = queryset.query
        compiler = query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        # What ValuesIterable names and results_iter converts: the columns selected, in order.
        columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
        converters = tuple(
            (position, tuple(convs), expression)
            for position, (convs, expression) in compiler.get_converters(columns).items()
        )
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
        return cls(sql, tuple(params), names, converters)

    def rows(self, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params if params is None else params)
            found = cursor.fetchall()
        names, converters = self.names, self.converters
        if not converters:
            return [dict(zip(names, row, strict=True)) for row in found]
        rows = []
        for values in map(list, found):
            for position, convs, expression in converters:
                value = values[position]
                for converter in convs:
                    value = converter(value, expression, connection)
                values[position] = value
            rows.append(dict(zip(names, values, strict=True)))
        return rows


class ByKeys:
    """Rows of `rows(keys)`, whose SQL differs only in its keys (its parameters, in the
    order given): compiled once per number of keys."""

    def __init__(self, rows: Callable[[Sequence[int]], QuerySet[Any, Any]]) -> None:
        self._rows = rows
        self._compiled: dict[int, Statement] = {}

    def __call__(self, keys: Sequence[int]) -> list[dict[str, Any]]:
        statement = self._compiled.get(len(keys))
        if statement is None:
            statement = Statement.of(self._rows(keys))
            if statement.params != tuple(keys):
                raise ValueError(f"a read by keys takes its keys as its parameters, not {statement.params}")
            self._compiled[len(keys)] = statement
        return statement.rows(keys)


class ByPattern:
    """Rows of `rows(text)`, whose SQL differs only in one LIKE pattern holding `text`
    (a `__contains` lookup): compiled once."""

    def __init__(self, rows: Callable[[str], QuerySet[Any, Any]]) -> None:
        self._rows = rows
        self._compiled: Statement | None = None

    def __call__(self, text: str) -> list[dict[str, Any]]:
        pattern = f"%{connection.ops.prep_for_like_query(text)}%"
        if self._compiled is None:
            statement = Statement.of(self._rows(text))
            if statement.params != (pattern,):
                raise ValueError(f"a read by pattern takes the pattern as its one parameter, not {statement.params}")
            self._compiled = statement
        return self._compiled.rows([pattern])


def count_statement(queryset: QuerySet[Any, Any]) -> tuple[str, tuple[Any, ...]]:
    """The statement queryset.count() runs, with its parameters: recorded as it runs."""
    ran: list[tuple[str, tuple[Any, ...]]] = []

    def recorded(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        ran.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(recorded):
        queryset.count()
    (statement,) = ran
    return statement


def counted(statement: tuple[str, tuple[Any, ...]]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        (count,) = cursor.fetchone()
    return int(count)
