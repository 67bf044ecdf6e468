"""The payment's rows written by statements made once per process (payments.statements,
common.statements.insert) rather than by the ORM on each call: each is stored
and read back as the ORM would have it."""

from decimal import Decimal

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.statements import insert
from payments.models import Payment, PaymentStatus, PaymentTransaction
from payments.statements import payment_order_cancelled, payment_update_if

pytestmark = pytest.mark.django_db

FIELDS = {"order_id": 1, "user_id": 5, "amount": Decimal("45.50"), "method": "card", "card_brand": "visa"}


def test_an_update_is_made_only_in_an_expected_status_and_unless_cancelled():
    payment = Payment.objects.create(status=PaymentStatus.AUTHORIZED, **FIELDS)
    cancelled = Payment.objects.create(
        status=PaymentStatus.AUTHORIZED, order_cancelled=True, **FIELDS | {"order_id": 2}
    )

    def succeed(target, **conditions):
        changes = {"status": PaymentStatus.SUCCEEDED, "updated_at": timezone.now()}
        return payment_update_if(target.pk, changes=changes, **conditions)

    with CaptureQueriesContext(connection) as queries:
        assert not succeed(payment, expected=(PaymentStatus.PROCESSING,), unless_cancelled=False)
    assert [query["sql"].split(None, 1)[0] for query in queries] == ["UPDATE"]
    assert not succeed(cancelled, expected=(PaymentStatus.AUTHORIZED,), unless_cancelled=True)
    assert Payment.objects.get(pk=cancelled.pk).status == PaymentStatus.AUTHORIZED
    assert succeed(cancelled, expected=(PaymentStatus.PROCESSING, PaymentStatus.AUTHORIZED), unless_cancelled=False)
    assert succeed(payment, expected=(PaymentStatus.AUTHORIZED,), unless_cancelled=True)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED


def test_whether_the_order_was_cancelled_is_read_by_the_payments_key():
    payment = Payment.objects.create(status=PaymentStatus.AUTHORIZED, **FIELDS)
    cancelled = Payment.objects.create(
        status=PaymentStatus.AUTHORIZED, order_cancelled=True, **FIELDS | {"order_id": 2}
    )
    assert (payment_order_cancelled(payment.pk), payment_order_cancelled(cancelled.pk)) == (False, True)
    assert not payment_order_cancelled(424242)


def test_the_values_written_out_are_stored_as_the_orm_stores_them():
    payment = Payment.objects.create(status=PaymentStatus.PROCESSING, **FIELDS)
    by_orm = Payment.objects.create(status=PaymentStatus.PROCESSING, **FIELDS | {"order_id": 2})
    now = timezone.now()
    changes = {"status": PaymentStatus.FAILED, "failure_message": "Số đỏ", "updated_at": now}

    assert payment_update_if(payment.pk, expected=(PaymentStatus.PROCESSING,), unless_cancelled=False, changes=changes)
    Payment.objects.filter(pk=by_orm.pk).update(**changes)

    with connection.cursor() as cursor:  # as stored, before any conversion on the way back
        cursor.execute("SELECT status, failure_message, updated_at FROM payments_payment ORDER BY id")
        assert cursor.fetchone() == cursor.fetchone()
    assert Payment.objects.get(pk=payment.pk).updated_at == now


def test_inserted_rows_read_back_as_the_orm_creates_them():
    made = Payment.objects.create(status=PaymentStatus.PROCESSING, **FIELDS)
    written = Payment(status=PaymentStatus.PROCESSING, **FIELDS | {"order_id": 2})
    insert([written])
    row = PaymentTransaction(payment=written, kind="authorization", status="succeeded", amount=written.amount)
    insert([row])

    read = Payment.objects.get(pk=written.pk)
    assert model_to_dict(read, exclude=["id", "order_id"]) == model_to_dict(made, exclude=["id", "order_id"])
    assert (read.created_at, read.updated_at) == (written.created_at, written.updated_at)
    assert not written._state.adding  # a stored row to Django: save() updates it
    assert model_to_dict(PaymentTransaction.objects.get(pk=row.pk)) == model_to_dict(row)
    assert PaymentTransaction.objects.get(pk=row.pk).created_at == row.created_at
