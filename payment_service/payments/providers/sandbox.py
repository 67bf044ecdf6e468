"""A provider that moves no money and answers as Stripe's test mode does for its test
cards. It keeps its books in SandboxCharge, as a real provider keeps them on its side:
each call locks the charge's row, so repeated and concurrent calls act once."""

import uuid
from decimal import Decimal

from django.db import transaction

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
        with transaction.atomic():
            charge, _ = SandboxCharge.objects.get_or_create(
                reference=reference,
                defaults={
                    "provider_reference": f"pi_sandbox_{uuid.uuid4().hex}",
                    "amount": amount,
                    "state": State.AUTHORIZED,
                    "refund_fails": card.number == REFUND_FAILING_CARD,
                },
            )
        return ProviderResult(succeeded=True, reference=charge.provider_reference)

    def capture(self, *, reference: str) -> ProviderResult:
        return self._move(reference, to=State.CAPTURED, allowed_from=(State.AUTHORIZED,))

    def void(self, *, reference: str) -> ProviderResult:
        with transaction.atomic():
            if not SandboxCharge.objects.filter(reference=reference).exists():
                return ProviderResult(succeeded=True)  # nothing was authorized: nothing to give up
        return self._move(reference, to=State.VOIDED, allowed_from=(State.AUTHORIZED,))

    def refund(self, *, reference: str, amount: Decimal) -> ProviderResult:
        with transaction.atomic():
            charge = SandboxCharge.objects.select_for_update().filter(reference=reference).first()
            if charge is not None and charge.refund_fails and charge.state == State.CAPTURED:
                raise ProviderError("The refund failed at the provider.")
        result = self._move(reference, to=State.REFUNDED, allowed_from=(State.CAPTURED,))
        if not result.succeeded:
            return result
        return ProviderResult(succeeded=True, reference=result.reference.replace("pi_", "re_", 1))  # the refund's id

    @staticmethod
    def _move(reference: str, *, to: str, allowed_from: tuple[str, ...]) -> ProviderResult:
        with transaction.atomic():
            charge = SandboxCharge.objects.select_for_update().filter(reference=reference).first()
            if charge is None:
                return _refused("no_such_charge", f"The sandbox has no authorization {reference}.")
            if charge.state != to:  # done before: answered as done, as the idempotency key makes it
                if charge.state not in allowed_from:
                    return _refused(f"charge_{charge.state}", f"The charge is {charge.state}; it cannot be {to}.")
                charge.state = to
                charge.save(update_fields=["state", "updated_at"])
        return ProviderResult(succeeded=True, reference=charge.provider_reference)
