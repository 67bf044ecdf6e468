from django.db.models import QuerySet

from common.auth import Caller
from common.db import filter_given
from common.errors import NotFound
from common.permissions import listed_owner, visible_or_404
from common.statements import ReadByKey
from orders.models import Order, OrderLine, OrderStatusChange

# Read with the SQL the ORM wrote once per process (common.statements.ReadByKey): compiling
# it was most of the CPU of a read by key. One row by its key: without first()'s ORDER BY, which has nothing to sort.
_order = ReadByKey(lambda order_id: Order.objects.filter(pk=order_id).order_by()[:1])
_order_locked = ReadByKey(lambda order_id: Order.objects.select_for_update().filter(pk=order_id).order_by()[:1])
_lines = ReadByKey(lambda order_id: OrderLine.objects.filter(order_id=order_id))
_history = ReadByKey(lambda order_id: OrderStatusChange.objects.filter(order_id=order_id))


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
