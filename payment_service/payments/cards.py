"""Card numbers: checked, recognised and reduced to what may be kept (brand, last four)."""

from dataclasses import dataclass, field


def luhn_valid(number: str) -> bool:
    """The Luhn checksum every card number carries (catches a mistyped digit)."""
    total = 0
    for position, digit in enumerate(int(character) for character in reversed(number)):
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_brand(number: str) -> str:
    """The network, from the number's first digits (IIN ranges)."""
    if number.startswith("4"):
        return "visa"
    two, four = int(number[:2]), int(number[:4])
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "mastercard"
    if two in (34, 37):
        return "amex"
    if number.startswith(("6011", "65")) or 644 <= int(number[:3]) <= 649:
        return "discover"
    if 3528 <= four <= 3589:
        return "jcb"
    return "unknown"


@dataclass(frozen=True)
class Card:
    """A card as the request gave it, for the provider only: it lives in memory for the
    one request and is never saved or logged (repr hides the number and cvc)."""

    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False)

    @property
    def brand(self) -> str:
        return card_brand(self.number)

    @property
    def last4(self) -> str:
        return self.number[-4:]
