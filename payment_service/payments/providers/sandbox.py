"""A provider that moves no money and answers as Stripe's test mode does for its test
cards. It keeps its books in SandboxCharge, as a real provider keeps them on its side.
Each write is one statement that acts only if the charge is as the call found it (an
insert unless the reference has a charge, an update from the state read), so repeated
and concurrent calls act once without a transaction around them."""

import functools
import uuid
from decimal import Decimal
from typing import Any, cast

from django.db import connection, models
from django.utils import timezone

from common.db import create_unless_present
from payments.cards import Card
from payments.models import SandboxCharge
from payments.providers import PaymentProvider, ProviderError, ProviderResult

SUCCEEDING_CARDS = {
    "4242424242424242",  # visa
    "4000056655665556",  # visa debit
    "5555555555554444",  # mastercard
    "2223003122003222",  # mastercard (2-series)
    "378282246310005",  # amex
    "6011111111111117",  # discover
}
# A charge that succeeds but whose refund fails at the provider.
REFUND_FAILING_CARD = "4000000000005126"
DECLINED_CARDS = {
    "4000000000000002": ("card_declined", "The card was declined."),
    "4000000000009995": ("insufficient_funds", "The card has insufficient funds."),
    "4000000000009987": ("lost_card", "The card was declined: reported lost."),
    "4000000000009979": ("stolen_card", "The card was declined: reported stolen."),
    "4000000000000069": ("expired_card", "The card has expired."),
    "4000000000000127": ("incorrect_cvc", "The card's security code is incorrect."),
}
PROCESSING_ERROR_CARD = "4000000000000119"

State = SandboxCharge.State


def _refused(code: str, message: str) -> ProviderResult:
    return ProviderResult(succeeded=False, failure_code=code, failure_message=message)


class SandboxProvider(PaymentProvider):
    name = "sandbox"

    def authorize(self, *, amount: Decimal, card: Card, reference: str) -> ProviderResult:
        if card.number == PROCESSING_ERROR_CARD:
            raise ProviderError("An error occurred while processing the card.")
        if card.number in DECLINED_CARDS:
            return _refused(*DECLINED_CARDS[card.number])
        if card.number not in SUCCEEDING_CARDS | {REFUND_FAILING_CARD}:
            # Like a test mode given a real card: refused, nothing held.
            return _refused("card_declined", "The sandbox accepts only its test cards.")
        charge = create_unless_present(
            SandboxCharge,
            unique=("reference",),
            reference=reference,
            provider_reference=f"pi_sandbox_{uuid.uuid4().hex}",
            amount=amount,
            state=State.AUTHORIZED,
            refund_fails=card.number == REFUND_FAILING_CARD,
        ) or SandboxCharge.objects.get(reference=reference)  # authorized before: answered the same
        return ProviderResult(succeeded=True, reference=charge.provider_reference)

    def capture(self, *, reference: str) -> ProviderResult:
        # The usual case, an authorized charge, in one statement; anything else is read
        # and answered as _move answers it.
        if (captured := _authorized_capture(reference)) is not None:
            return ProviderResult(succeeded=True, reference=captured)
        return _move(reference, _charge(reference), to=State.CAPTURED, allowed_from=(State.AUTHORIZED,))

    def void(self, *, reference: str) -> ProviderResult:
        charge = _charge(reference)
        if charge is None:
            return ProviderResult(succeeded=True)  # nothing was authorized: nothing to give up
        return _move(reference, charge, to=State.VOIDED, allowed_from=(State.AUTHORIZED,))

    def refund(self, *, reference: str, amount: Decimal) -> ProviderResult:
        charge = _charge(reference)
        if charge is not None and charge.refund_fails and charge.state == State.CAPTURED:
            raise ProviderError("The refund failed at the provider.")
        result = _move(reference, charge, to=State.REFUNDED, allowed_from=(State.CAPTURED,))
        if not result.succeeded:
            return result
        return ProviderResult(succeeded=True, reference=result.reference.replace("pi_", "re_", 1))  # the refund's id


def _charge(reference: str) -> SandboxCharge | None:
    return SandboxCharge.objects.filter(reference=reference).first()


def _move(reference: str, charge: SandboxCharge | None, *, to: str, allowed_from: tuple[str, ...]) -> ProviderResult:
    """Move `charge` (as read) to `to` if it is in one of `allowed_from`, by an update
    that acts only if it is still in the state read: of repeated and concurrent calls,
    one moves it, and the others read it again and answer as it now is."""
    while charge is not None and charge.state != to and charge.state in allowed_from:
        moved = SandboxCharge.objects.filter(pk=charge.pk, state=charge.state).update(
            state=to, updated_at=timezone.now()
        )
        if moved:
            return ProviderResult(succeeded=True, reference=charge.provider_reference)
        charge = _charge(reference)
    if charge is None:
        return _refused("no_such_charge", f"The sandbox has no authorization {reference}.")
    if charge.state != to:
        return _refused(f"charge_{charge.state}", f"The charge is {charge.state}; it cannot be {to}.")
    return ProviderResult(succeeded=True, reference=charge.provider_reference)  # done before: answered as done


def _column(name: str) -> str:
    field = cast("models.Field[Any, Any]", SandboxCharge._meta.get_field(name))  # a concrete field
    return connection.ops.quote_name(cast(str, field.column))


@functools.cache
def _capture_statement() -> str:
    table = connection.ops.quote_name(SandboxCharge._meta.db_table)
    changes = f"{_column('state')} = %s, {_column('updated_at')} = %s"
    where = f"{_column('reference')} = %s AND {_column('state')} = %s"
    return f"UPDATE {table} SET {changes} WHERE {where} RETURNING {_column('provider_reference')}"  # noqa: S608 (only names from the model)


def _authorized_capture(reference: str) -> str | None:
    """Capture the charge of `reference` if it is authorized, by one UPDATE written out once
    per process (update() compiles it anew on each call): its provider reference, or None
    if it was not there authorized."""
    now = cast("models.Field[Any, Any]", SandboxCharge._meta.get_field("updated_at")).get_db_prep_save(
        timezone.now(), connection
    )
    with connection.cursor() as cursor:
        cursor.execute(_capture_statement(), [State.CAPTURED, now, reference, State.AUTHORIZED])
        row = cursor.fetchone()
    return row[0] if row else None
