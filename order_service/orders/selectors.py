from django.db.models import QuerySet

from common.auth import Caller
from common.db import filter_given
from common.errors import NotFound
from common.permissions import listed_owner, visible_or_404
from orders.models import Order


def order_list(*, user_id: int | None = None, status: str | None = None) -> QuerySet[Order]:
    """Orders, newest first, with their lines and history in two more queries per page."""
    return filter_given(Order.objects.prefetch_related("lines", "history"), user_id=user_id, status=status)


def order_get(*, order_id: int) -> Order | None:
    return order_list().filter(pk=order_id).first()


def orders_listed_for(caller: Caller, *, user_id: int | None = None, status: str | None = None) -> QuerySet[Order]:
    """A customer's own orders (another user's ?user_id= is a 403); staff and services anyone's."""
    return order_list(user_id=listed_owner(caller, user_id, what="orders"), status=status)


def order_visible(caller: Caller, order_id: int) -> Order:
    """Someone else's order is a 404, as one that does not exist."""
    return visible_or_404(
        order_get(order_id=order_id), caller=caller, not_found=NotFound(f"There is no order {order_id}.")
    )
