from django.db.models import QuerySet

from orders.models import Order


def order_list(*, user_id: int | None = None, status: str | None = None) -> QuerySet[Order]:
    """Orders, newest first, with their lines and history in two more queries per page."""
    orders = Order.objects.prefetch_related("lines", "history")
    if user_id is not None:
        orders = orders.filter(user_id=user_id)
    if status is not None:
        orders = orders.filter(status=status)
    return orders


def order_get(*, order_id: int) -> Order | None:
    return order_list().filter(pk=order_id).first()
