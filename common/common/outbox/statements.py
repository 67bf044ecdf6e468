"""The outbox's statements on the paths every purchase takes: recording a try, taking
due deliveries, asking whether a key waits (its events and deliveries are written by
common.statements.insert).

Written as SQL here rather than built by the ORM on each call: building them was most
of the CPU these paths took (docs/performance.md), and a dispatcher builds its due
query every poll, busy or not. Values go through each field's get_db_prep_save, as the
ORM sends them. PostgreSQL and SQLite (3.35 and later, for RETURNING) read the same
statements; test_outbox_statements.py holds them to the models' tables and columns.
"""

import functools
from datetime import datetime
from typing import Any

from django.db import connection

from common.db import concrete_field, quoted_column
from common.outbox.models import OutboxDelivery

# The due deliveries no one holds, the first due first, leased in the statement that
# chooses them. The %(...)s parts are filled in once per variant (_take_statement);
# %s are the values. IN (subquery ... LIMIT) is evaluated once, before the UPDATE.
_TAKE = """
UPDATE outbox_outboxdelivery SET leased_until = %%s WHERE id IN (
    SELECT id FROM outbox_outboxdelivery
    WHERE delivered_at IS NULL AND parked_at IS NULL
        AND (leased_until IS NULL OR leased_until <= %%s)
        %(due)s %(of_key)s
    ORDER BY next_attempt_at, id LIMIT %%s %(lock)s
) RETURNING id
"""
_DUE = "AND next_attempt_at <= %s"
_OF_KEY = 'AND event_id IN (SELECT id FROM outbox_outboxevent WHERE "key" = %s)'
# PostgreSQL locks the rows it chooses and skips those another taker holds; SQLite
# runs one writing statement at a time.
_LOCK = "FOR UPDATE SKIP LOCKED"

_WAITING_FOR_KEY = """
SELECT 1 FROM outbox_outboxdelivery d INNER JOIN outbox_outboxevent e ON d.event_id = e.id
WHERE d.delivered_at IS NULL AND d.parked_at IS NULL AND e."key" = %s LIMIT 1
"""


def delivery_update(delivery_id: int, changes: dict[str, Any]) -> None:
    """UPDATE one delivery's `changes` (field name -> value)."""
    fields = [concrete_field(OutboxDelivery, name) for name in changes]
    assignments = ", ".join(f"{quoted_column(OutboxDelivery, name)} = %s" for name in changes)
    params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, changes.values(), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE outbox_outboxdelivery SET {assignments} WHERE id = %s", [*params, delivery_id])  # noqa: S608 (columns of the model)


@functools.cache
def _take_statement(*, due: bool, of_key: bool, lock: bool) -> str:
    return _TAKE % {"due": _DUE if due else "", "of_key": _OF_KEY if of_key else "", "lock": _LOCK if lock else ""}


def deliveries_take(*, now: datetime, lease_until: datetime, limit: int, due: bool, key: str | None) -> list[int]:
    """Lease up to `limit` waiting deliveries no one holds (due by `now` if `due`; of
    events about `key` if given), the first due first, until `lease_until`: their ids,
    in order. One statement: a poll that finds nothing is one round trip, with no
    transaction around it."""
    lock = connection.features.has_select_for_update_skip_locked
    prepared = concrete_field(OutboxDelivery, "leased_until").get_db_prep_save
    params: list[Any] = [prepared(lease_until, connection), prepared(now, connection)]
    if due:
        params.append(prepared(now, connection))
    if key is not None:
        params.append(key)
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(_take_statement(due=due, of_key=key is not None, lock=lock), params)
        return sorted(pk for (pk,) in cursor.fetchall())


def waiting_for_key(key: str) -> bool:
    """Whether a delivery of an event about `key` is neither delivered nor parked."""
    with connection.cursor() as cursor:
        cursor.execute(_WAITING_FOR_KEY, [key])
        return cursor.fetchone() is not None
