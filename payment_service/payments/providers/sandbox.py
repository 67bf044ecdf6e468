"""A provider that moves no money and answers as Stripe's test mode does for its test cards."""

import uuid
from decimal import Decimal

from payments.cards import Card
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
_REFUND_FAILS = "refundfails_"


class SandboxProvider(PaymentProvider):
    name = "sandbox"

    def charge(self, *, amount: Decimal, card: Card, reference: str) -> ProviderResult:
        if card.number == PROCESSING_ERROR_CARD:
            raise ProviderError("An error occurred while processing the card.")
        if card.number in DECLINED_CARDS:
            code, message = DECLINED_CARDS[card.number]
            return ProviderResult(succeeded=False, failure_code=code, failure_message=message)
        if card.number == REFUND_FAILING_CARD:
            return ProviderResult(succeeded=True, reference=f"ch_sandbox_{_REFUND_FAILS}{uuid.uuid4().hex}")
        if card.number in SUCCEEDING_CARDS:
            return ProviderResult(succeeded=True, reference=f"ch_sandbox_{uuid.uuid4().hex}")
        # Like a test mode given a real card: refused, nothing charged.
        return ProviderResult(
            succeeded=False, failure_code="card_declined", failure_message="The sandbox accepts only its test cards."
        )

    def refund(self, *, charge_reference: str, amount: Decimal, reference: str) -> ProviderResult:
        if _REFUND_FAILS in charge_reference:
            raise ProviderError("The refund failed at the provider.")
        return ProviderResult(succeeded=True, reference=f"re_sandbox_{uuid.uuid4().hex}")
