import pytest

from payments.cards import Card, card_brand, luhn_valid
from payments.providers import ProviderError
from payments.providers.sandbox import (
    DECLINED_CARDS,
    PROCESSING_ERROR_CARD,
    REFUND_FAILING_CARD,
    SUCCEEDING_CARDS,
    SandboxProvider,
)

ALL_TEST_CARDS = [*SUCCEEDING_CARDS, *DECLINED_CARDS, PROCESSING_ERROR_CARD, REFUND_FAILING_CARD]


@pytest.mark.parametrize("number", ALL_TEST_CARDS)
def test_every_sandbox_card_passes_the_luhn_check(number):
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["4242424242424241", "1234567812345678", "5555555555554440"])
def test_a_mistyped_number_fails_the_luhn_check(number):
    assert not luhn_valid(number)


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "visa"),
        ("5555555555554444", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("378282246310005", "amex"),
        ("6011111111111117", "discover"),
        ("3566002020360505", "jcb"),
        ("9999999999999995", "unknown"),
    ],
)
def test_the_brand_comes_from_the_first_digits(number, brand):
    assert card_brand(number) == brand


def test_a_card_repr_shows_neither_number_nor_cvc():
    text = repr(Card(number="4242424242424242", exp_month=1, exp_year=2099, cvc="987"))
    assert "4242424242424242" not in text
    assert "987" not in text


def sandbox_charge(number: str):
    return SandboxProvider().charge(
        amount=1, card=Card(number=number, exp_month=1, exp_year=2099, cvc="123"), reference="payment-1"
    )


@pytest.mark.parametrize("number", sorted(SUCCEEDING_CARDS))
def test_the_sandbox_charges_its_succeeding_cards(number):
    result = sandbox_charge(number)
    assert result.succeeded
    assert result.reference.startswith("ch_sandbox_")


@pytest.mark.parametrize(("number", "code"), [(n, code) for n, (code, _) in DECLINED_CARDS.items()])
def test_the_sandbox_declines_its_declining_cards_with_their_reason(number, code):
    result = sandbox_charge(number)
    assert (result.succeeded, result.failure_code) == (False, code)
    assert result.failure_message


def test_the_sandbox_fails_with_a_provider_error_for_its_error_card():
    with pytest.raises(ProviderError):
        sandbox_charge(PROCESSING_ERROR_CARD)


def test_the_sandbox_declines_a_card_that_is_not_one_of_its_own():
    result = sandbox_charge("4111111111111111")
    assert (result.succeeded, result.failure_code) == (False, "card_declined")


def test_the_sandbox_refunds_a_charge_except_that_of_its_refund_failing_card():
    provider = SandboxProvider()
    assert provider.refund(
        charge_reference=sandbox_charge("4242424242424242").reference, amount=1, reference="r"
    ).succeeded
    with pytest.raises(ProviderError):
        provider.refund(charge_reference=sandbox_charge(REFUND_FAILING_CARD).reference, amount=1, reference="r")
