from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connection, models
from django.db.models import QuerySet

from common.auth import Caller
from common.db import filter_given
from common.errors import NotFound
from common.permissions import listed_owner, visible_or_404
from orders.models import Order, OrderLine, OrderStatusChange

_M = TypeVar("_M", bound=models.Model)


class _ReadByKey(Generic[_M]):
    """The rows of `rows(key)`, read with the SQL the ORM wrote for the first key.
    Django compiles a queryset's SQL anew each time it runs, most of the CPU of a read
    by key, while these differ only in the key, a parameter; raw() would still find the
    columns, their converters and the model's fields again on each read. Kept with the
    SQL: the compiler's converters for its columns (each field converted from the
    database as the queryset's would be), and the rows are made by Model.from_db, as a
    queryset makes them. A locking one compiles, and so checks that it is in a
    transaction, only the first time: its callers are all atomic."""

    def __init__(self, rows: Callable[[int], QuerySet[_M]]) -> None:
        self._rows = rows
        self._compiled: tuple[type[_M], str, list[str], dict[int, tuple[list, Any]]] | None = None

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
    def _compile(queryset: QuerySet[_M], key: int) -> tuple[type[_M], str, list[str], dict[int, tuple[list, Any]]]:
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        if params != (key,):
            raise ValueError(f"a read by key takes the key as its one parameter, not {params}")
        columns = [column for column, _, _ in compiler.select]
        names = [column.target.attname for column in columns]
        if names != [field.attname for field in queryset.model._meta.concrete_fields]:
            raise ValueError(f"a read by key reads every field of its model in order, not {names}")
        return queryset.model, sql, names, compiler.get_converters(columns)


# One row by its key: without first()'s ORDER BY, which has nothing to sort.
_order = _ReadByKey(lambda order_id: Order.objects.filter(pk=order_id).order_by()[:1])
_order_locked = _ReadByKey(lambda order_id: Order.objects.select_for_update().filter(pk=order_id).order_by()[:1])
_lines = _ReadByKey(lambda order_id: OrderLine.objects.filter(order_id=order_id))
_history = _ReadByKey(lambda order_id: OrderStatusChange.objects.filter(order_id=order_id))


def order_list(*, user_id: int | None = None, status: str | None = None) -> QuerySet[Order]:
    """Orders, newest first, with their lines and history in two more queries per page."""
    return filter_given(Order.objects.prefetch_related("lines", "history"), user_id=user_id, status=status)


def order_get(*, order_id: int) -> Order | None:
    """The order with its lines and history (order_details_read), or None."""
    order = order_by_key(order_id)
    return order_details_read(order) if order else None


def order_by_key(order_id: int, *, locked: bool = False) -> Order | None:
    """The order alone, or None; `locked`: its row locked until the transaction ends."""
    return next(iter((_order_locked if locked else _order)(order_id)), None)


def order_details_read(order: Order) -> Order:
    """`order` with its lines and history, one query each: what prefetch_related reads,
    without building its querysets through the relations."""
    return order_details_attach(order, lines=list(_lines(order.pk)), history=list(_history(order.pk)))


def order_details_attach(order: Order, *, lines: list[OrderLine], history: list[OrderStatusChange]) -> Order:
    """`order` answering order.lines.all() and order.history.all() with these rows, as if
    prefetched (OrderSerializer reads them so), where they are in hand already."""
    order._prefetched_objects_cache = {"lines": lines, "history": history}  # type: ignore[attr-defined]  # Django's, private
    return order


def orders_listed_for(caller: Caller, *, user_id: int | None = None, status: str | None = None) -> QuerySet[Order]:
    """A customer's own orders (another user's ?user_id= is a 403); staff and services anyone's."""
    return order_list(user_id=listed_owner(caller, user_id, what="orders"), status=status)


def order_found(order_id: int) -> Order:
    """The order alone (for a service: no owner check), or a 404."""
    order = order_by_key(order_id)
    if order is None:
        raise NotFound(f"There is no order {order_id}.")
    return order


def order_visible(caller: Caller, order_id: int) -> Order:
    """Someone else's order is a 404, as one that does not exist (its lines and history
    are read only once it is seen to be the caller's)."""
    order = visible_or_404(order_by_key(order_id), caller=caller, not_found=NotFound(f"There is no order {order_id}."))
    return order_details_read(order)
