"""The payment-provider interface: what this service needs from whoever moves the money.

Cards are paid in two steps, as with Stripe's PaymentIntents and capture_method=manual:
authorize (the bank holds the amount), then capture (the money is taken) once the
order is known to be taken by this payment, or void (nothing is taken) if it is not.
Every call names the payment by this service's `reference` (`payment-<id>`), which a
real provider takes as its idempotency key: a call repeated after a crash does not
act twice, and capture, void and refund of what was done already answer success.

A provider is a class with `name` and the four methods; settings.PAYMENT_PROVIDER
(environment variable of the same name) names the one in use by its dotted path. The
built-in one is the sandbox (payments.providers.sandbox), which moves no money.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from payments.cards import Card


@dataclass(frozen=True)
class ProviderResult:
    """The provider's answer: done (with its reference), or refused (with a code and reason)."""

    succeeded: bool
    reference: str = ""
    failure_code: str = ""
    failure_message: str = ""


class ProviderError(Exception):
    """The provider could not be asked or failed on its side: the outcome is not a decision
    about the card. A real provider raises it for timeouts and 5xx answers."""


class PaymentProvider(ABC):
    name: str

    @abstractmethod
    def authorize(self, *, amount: Decimal, card: Card, reference: str) -> ProviderResult:
        """Have the card's bank hold `amount`; a declined card is a result, not an error."""

    @abstractmethod
    def capture(self, *, reference: str) -> ProviderResult:
        """Take the money held by the authorization of `reference`."""

    @abstractmethod
    def void(self, *, reference: str) -> ProviderResult:
        """Give up the authorization of `reference`, if there is one: nothing is taken."""

    @abstractmethod
    def refund(self, *, reference: str, amount: Decimal) -> ProviderResult:
        """Give back `amount` of the captured charge of `reference`."""


@cache
def _provider_class(path: str) -> type[PaymentProvider]:
    return import_string(path)


def get_provider() -> PaymentProvider:
    return _provider_class(settings.PAYMENT_PROVIDER)()
