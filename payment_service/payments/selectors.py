from django.db.models import QuerySet

from payments.models import Payment


def payment_list(*, user_id: int | None = None, order_id: int | None = None, status: str | None = None) -> QuerySet:
    """Payments, newest first, with their transactions in one more query per page."""
    payments = Payment.objects.prefetch_related("transactions")
    if user_id is not None:
        payments = payments.filter(user_id=user_id)
    if order_id is not None:
        payments = payments.filter(order_id=order_id)
    if status is not None:
        payments = payments.filter(status=status)
    return payments


def payment_get(*, payment_id: int) -> Payment | None:
    return payment_list().filter(pk=payment_id).first()
