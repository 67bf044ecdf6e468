"""The payment-provider interface: what this service needs from whoever moves the money.

A provider is a class with `name`, `charge()` and `refund()`; settings.PAYMENT_PROVIDER
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
    def charge(self, *, amount: Decimal, card: Card, reference: str) -> ProviderResult:
        """Charge `amount` to the card. `reference` is this service's payment id: a real
        provider passes it as its own idempotency key, so a retried charge is not taken twice."""

    @abstractmethod
    def refund(self, *, charge_reference: str, amount: Decimal, reference: str) -> ProviderResult:
        """Give back `amount` of the charge `charge_reference`; `reference` as for charge()."""


@cache
def _provider_class(path: str) -> type[PaymentProvider]:
    return import_string(path)


def get_provider() -> PaymentProvider:
    return _provider_class(settings.PAYMENT_PROVIDER)()
