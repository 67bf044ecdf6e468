from django.db.models import QuerySet

from common.auth import Caller
from common.db import filter_given
from common.errors import NotFound
from common.permissions import listed_owner, visible_or_404
from payments.models import Payment


def payment_list(*, user_id: int | None = None, order_id: int | None = None, status: str | None = None) -> QuerySet:
    """Payments, newest first, with their transactions in one more query per page."""
    payments = Payment.objects.prefetch_related("transactions")
    return filter_given(payments, user_id=user_id, order_id=order_id, status=status)


def payment_get(*, payment_id: int) -> Payment | None:
    return payment_list().filter(pk=payment_id).first()


def payments_listed_for(
    caller: Caller, *, user_id: int | None = None, order_id: int | None = None, status: str | None = None
) -> QuerySet[Payment]:
    """A customer's own payments (another user's ?user_id= is a 403; someone else's
    ?order_id= lists nothing, as one that does not exist); staff and services anyone's."""
    return payment_list(user_id=listed_owner(caller, user_id, what="payments"), order_id=order_id, status=status)


def payment_visible(caller: Caller, payment_id: int) -> Payment:
    """Someone else's payment is a 404, as one that does not exist."""
    return visible_or_404(
        payment_get(payment_id=payment_id), caller=caller, not_found=NotFound(f"There is no payment {payment_id}.")
    )
