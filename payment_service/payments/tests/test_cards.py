from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments.cards import Card, card_brand, luhn_valid
from payments.models import SandboxCharge
from payments.providers import ProviderError, sandbox
from payments.providers.sandbox import (
    DECLINED_CARDS,
    PROCESSING_ERROR_CARD,
    REFUND_FAILING_CARD,
    SUCCEEDING_CARDS,
    SandboxProvider,
)

pytestmark = pytest.mark.django_db

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


def sandbox_authorize(number: str, reference: str = "payment-1"):
    return SandboxProvider().authorize(
        amount=Decimal("12.00"), card=Card(number=number, exp_month=1, exp_year=2099, cvc="123"), reference=reference
    )


def books(reference: str = "payment-1") -> tuple[str, Decimal] | None:
    charge = SandboxCharge.objects.filter(reference=reference).first()
    return None if charge is None else (charge.state, charge.amount)


@pytest.mark.parametrize("number", sorted(SUCCEEDING_CARDS))
def test_the_sandbox_authorizes_its_succeeding_cards_and_holds_the_amount(number):
    result = sandbox_authorize(number)
    assert result.succeeded
    assert result.reference.startswith("pi_sandbox_")
    assert books() == ("authorized", Decimal("12.00"))


@pytest.mark.parametrize(("number", "code"), [(n, code) for n, (code, _) in DECLINED_CARDS.items()])
def test_the_sandbox_declines_its_declining_cards_with_their_reason_and_holds_nothing(number, code):
    result = sandbox_authorize(number)
    assert (result.succeeded, result.failure_code) == (False, code)
    assert result.failure_message
    assert books() is None


def test_the_sandbox_fails_with_a_provider_error_for_its_error_card():
    with pytest.raises(ProviderError):
        sandbox_authorize(PROCESSING_ERROR_CARD)
    assert books() is None


def test_the_sandbox_declines_a_card_that_is_not_one_of_its_own():
    result = sandbox_authorize("4111111111111111")
    assert (result.succeeded, result.failure_code) == (False, "card_declined")


def test_every_call_is_idempotent_by_reference():
    provider = SandboxProvider()
    first, again = sandbox_authorize("4242424242424242"), sandbox_authorize("4242424242424242")
    assert first.reference == again.reference
    assert provider.capture(reference="payment-1").succeeded
    assert provider.capture(reference="payment-1").succeeded  # a capture repeated after a crash takes nothing more
    assert books() == ("captured", Decimal("12.00"))
    assert provider.refund(reference="payment-1", amount=Decimal("12.00")).succeeded
    assert provider.refund(reference="payment-1", amount=Decimal("12.00")).succeeded
    assert books() == ("refunded", Decimal("12.00"))


def test_capturing_an_authorization_is_one_update_storing_its_time_as_the_orm_does():
    first = sandbox_authorize("4242424242424242")
    sandbox_authorize("5555555555554444", reference="payment-2")
    by_orm = SandboxCharge.objects.get(reference="payment-2")

    with CaptureQueriesContext(connection) as queries:
        captured = SandboxProvider().capture(reference="payment-1")
    SandboxCharge.objects.filter(pk=by_orm.pk).update(state="captured", updated_at=by_orm.updated_at)

    assert (captured.succeeded, captured.reference) == (True, first.reference)
    assert [query["sql"].split(None, 1)[0] for query in queries] == ["UPDATE"]
    with connection.cursor() as cursor:  # the times as stored: the same type and form
        cursor.execute("SELECT state, updated_at FROM payments_sandboxcharge ORDER BY reference")
        (state, written), (state_by_orm, by_orm_time) = cursor.fetchall()
    assert (state, type(written)) == (state_by_orm, type(by_orm_time))
    assert SandboxCharge.objects.get(reference="payment-1").updated_at > by_orm.updated_at


def test_a_voided_authorization_cannot_be_captured_and_a_captured_one_cannot_be_voided():
    provider = SandboxProvider()
    sandbox_authorize("4242424242424242", "payment-1")
    assert provider.void(reference="payment-1").succeeded
    assert provider.void(reference="payment-1").succeeded
    assert (provider.capture(reference="payment-1").failure_code, books("payment-1")) == (
        "charge_voided",
        ("voided", Decimal("12.00")),
    )
    sandbox_authorize("4242424242424242", "payment-2")
    assert provider.capture(reference="payment-2").succeeded
    assert provider.void(reference="payment-2").failure_code == "charge_captured"
    assert books("payment-2")[0] == "captured"


def test_voiding_what_was_never_authorized_is_done_and_capturing_it_is_refused():
    provider = SandboxProvider()
    assert provider.void(reference="payment-9").succeeded
    assert provider.capture(reference="payment-9").failure_code == "no_such_charge"
    assert books("payment-9") is None


def test_the_sandbox_refunds_a_capture_except_that_of_its_refund_failing_card():
    provider = SandboxProvider()
    sandbox_authorize(REFUND_FAILING_CARD, "payment-3")
    provider.capture(reference="payment-3")
    with pytest.raises(ProviderError):
        provider.refund(reference="payment-3", amount=Decimal("12.00"))
    assert books("payment-3")[0] == "captured"
    sandbox_authorize("4242424242424242", "payment-4")
    assert provider.refund(reference="payment-4", amount=Decimal("12.00")).failure_code == "charge_authorized"


def test_a_charge_another_call_moved_since_it_was_read_is_answered_as_it_now_is(monkeypatch):
    # A capture and a void at the same moment: both read the charge authorized, the void
    # moves it first, and the capture's update, made only from the state it read, does nothing.
    provider = SandboxProvider()
    sandbox_authorize("4242424242424242")
    read_before_the_void = SandboxCharge.objects.get()
    assert provider.void(reference="payment-1").succeeded
    reads = [read_before_the_void]
    read_now = sandbox._charge
    monkeypatch.setattr(sandbox, "_charge", lambda reference: reads.pop() if reads else read_now(reference))

    assert provider.capture(reference="payment-1").failure_code == "charge_voided"
    assert books() == ("voided", Decimal("12.00"))
