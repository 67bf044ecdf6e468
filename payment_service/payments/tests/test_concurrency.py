"""Two payments of one order at the same moment: exactly one succeeds."""

import dataclasses
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, close_old_connections, transaction

from common.auth import Caller
from common.errors import Conflict
from payments import services
from payments.cards import Card
from payments.clients import orders
from payments.models import Payment, PaymentStatus
from payments.providers.sandbox import SandboxProvider
from payments.tests.conftest import OWNER


def test_the_database_refuses_a_second_live_payment_of_an_order(db):
    Payment.objects.create(order_id=1, user_id=OWNER, amount=1, method="card", status=PaymentStatus.SUCCEEDED)
    Payment.objects.create(order_id=1, user_id=OWNER, amount=1, method="card", status=PaymentStatus.FAILED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(order_id=1, user_id=OWNER, amount=1, method="cod", status=PaymentStatus.PENDING)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_card_payments_of_one_order_make_one_charge(monkeypatch, settings):
    settings.OUTBOX_FAST_PATH = False
    both_read_the_order = threading.Barrier(2, timeout=10)
    order = orders.OrderSummary(id=1, user_id=OWNER, status="pending", total=Decimal("10.00"))

    def order_get(*, order_id):
        both_read_the_order.wait()  # both pass the order check before either opens a payment
        return order

    def order_take(*, order_id, payment_id, method):
        return dataclasses.replace(order, status="paid")

    charged = []
    real_capture = SandboxProvider.capture

    def counting_capture(self, **kwargs):
        charged.append(kwargs["reference"])
        return real_capture(self, **kwargs)

    monkeypatch.setattr(orders, "order_get", order_get)
    monkeypatch.setattr(orders, "order_take", order_take)
    monkeypatch.setattr(SandboxProvider, "capture", counting_capture)
    caller = Caller(user_id=OWNER)
    outcomes = []

    def attempt():
        card = Card(number="4242424242424242", exp_month=12, exp_year=2099, cvc="123")
        try:
            outcomes.append(services.payment_create(order_id=1, method="card", card=card, caller=caller).status)
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # The loser is told the order is being paid, or already paid, depending on when it looks.
    assert sorted(outcomes) in (["payment_in_progress", "succeeded"], ["order_already_paid", "succeeded"])
    assert len(charged) == 1
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == 1
