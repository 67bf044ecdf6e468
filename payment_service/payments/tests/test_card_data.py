"""The full card number and the cvc are never stored or logged: only brand and last four."""

import logging

import pytest
from django.apps import apps
from django.db import connection

from payments.tests.conftest import CARD_INSUFFICIENT_FUNDS, CARD_OK, CARD_PROVIDER_ERROR, card_body, pay

pytestmark = pytest.mark.django_db

CVC = "737"


def every_stored_value() -> list[str]:
    """Every column of every row of every table this service has, as the database returns it."""
    values: list[str] = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
            values.extend(str(value) for row in cursor.fetchall() for value in row)
    return values


@pytest.mark.parametrize("number", [CARD_OK, CARD_INSUFFICIENT_FUNDS, CARD_PROVIDER_ERROR])
def test_no_table_and_no_log_line_holds_the_number_or_cvc(owner_client, staff_client, fake_order, caplog, number):
    caplog.set_level(logging.DEBUG)
    fake_order()

    response = pay(owner_client, card_body(number=number, cvc=CVC))
    replay = pay(owner_client, card_body(number=number, cvc=CVC))
    if response.json()["status"] == "succeeded":
        assert staff_client.post(f"/api/payments/{response.json()['id']}/refund/").status_code == 200

    assert response.status_code == replay.status_code == 201
    assert response.json()["card_last4"] == number[-4:]
    stored = every_stored_value()
    assert number[-4:] in stored  # the check looks where the payment is
    assert not [value for value in stored if number in value or number[:12] in value]
    # The cvc's three digits may turn up inside an id or a time, so look for it as a value or a key.
    assert not [value for value in stored if value == CVC or '"cvc"' in value or "'cvc'" in value]
    logged = caplog.text + "\n".join(str(record.args) for record in caplog.records)
    assert number not in logged
    assert '"cvc"' not in logged
    assert "'cvc'" not in logged


def test_a_rejected_card_number_is_not_echoed_in_the_error(owner_client, caplog):
    caplog.set_level(logging.DEBUG)
    bad_number = "4242424242424241"
    response = pay(owner_client, card_body(number=bad_number, cvc=CVC))
    assert response.status_code == 400
    assert bad_number not in response.content.decode()
    assert bad_number not in caplog.text
