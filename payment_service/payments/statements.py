"""The payment's statements on every card payment's path, made once per process: its
conditional UPDATE (common.statements.update_by_key), and whether its order was
cancelled.

Django compiles a queryset's update() or filter() anew each time it runs, most of the
CPU of these statements, while they differ only in their values. The statements are
written out from the model's table and columns, each value through its field's
get_db_prep_save as the ORM sends it; PostgreSQL and SQLite read the same statements.
tests/test_statements.py holds its rows to the ORM's.
"""

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection

from common.db import concrete_field, quoted_column, quoted_table
from common.statements import update_by_key
from payments.models import Payment


@functools.cache
def _update_condition(expected: int, unless_cancelled: bool) -> str:
    statuses = ", ".join(["%s"] * expected)
    cancelled = f" AND {quoted_column(Payment, 'order_cancelled')} = %s" if unless_cancelled else ""
    return f" AND {quoted_column(Payment, 'status')} IN ({statuses}){cancelled}"


def payment_update_if(
    payment_id: int, *, expected: Sequence[str], unless_cancelled: bool, changes: dict[str, Any]
) -> bool:
    """UPDATE the payment's `changes` (field name -> value) if its status is one of
    `expected` (and, `unless_cancelled`, its order was not cancelled); whether it did."""
    condition = _update_condition(len(expected), unless_cancelled)
    values = [*expected, False] if unless_cancelled else expected
    return update_by_key(Payment, payment_id, changes, condition=condition, condition_params=values) > 0


@functools.cache
def _cancelled_statement() -> str:
    id_, cancelled = quoted_column(Payment, "id"), quoted_column(Payment, "order_cancelled")
    return f"SELECT 1 FROM {quoted_table(Payment)} WHERE {id_} = %s AND {cancelled} = %s"  # noqa: S608 (only names from the model)


def payment_order_cancelled(payment_id: int) -> bool:
    """Whether the payment's order was cancelled while it was under way."""
    with connection.cursor() as cursor:
        cursor.execute(
            _cancelled_statement(),
            [payment_id, concrete_field(Payment, "order_cancelled").get_db_prep_value(True, connection)],
        )
        return cursor.fetchone() is not None
