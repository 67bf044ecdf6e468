"""POST /api/payments/: paying for an order by card or cash on delivery."""

import datetime

import jwt
import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.outbox.models import OutboxDelivery, OutboxEvent
from payments import views
from payments.models import Payment, PaymentTransaction, SandboxCharge
from payments.tests.conftest import (
    CARD_INSUFFICIENT_FUNDS,
    CARD_OK,
    CARD_PROVIDER_ERROR,
    OWNER,
    card,
    card_body,
    order_url,
    pay,
)

pytestmark = pytest.mark.django_db


def events(event_type: str) -> list[dict]:
    return [event.payload for event in OutboxEvent.objects.filter(event_type=event_type)]


def test_a_card_payment_charges_the_order_total_and_publishes_payment_succeeded(owner_client, fake_order):
    fake_order(total="91.00")

    response = pay(owner_client, card_body())

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body | {"id": None, "created_at": None, "updated_at": None, "transactions": None} == {
        "id": None,
        "order_id": 1,
        "user_id": OWNER,
        "amount": "91.00",
        "method": "card",
        "status": "succeeded",
        "failure_code": "",
        "failure_message": "",
        "card_brand": "visa",
        "card_last4": "4242",
        "provider": "sandbox",
        "transactions": None,
        "created_at": None,
        "updated_at": None,
        "refunded_at": None,
    }
    authorization, charge = body["transactions"]
    assert (authorization["kind"], authorization["status"], authorization["amount"]) == (
        "authorization",
        "succeeded",
        "91.00",
    )
    assert (charge["kind"], charge["status"], charge["amount"]) == ("charge", "succeeded", "91.00")
    assert charge["provider_reference"] == authorization["provider_reference"]
    assert charge["provider_reference"].startswith("pi_sandbox_")
    assert SandboxCharge.objects.get().state == "captured"
    assert events("payment.succeeded") == [
        {
            "payment_id": body["id"],
            "order_id": 1,
            "user_id": OWNER,
            "amount": "91.00",
            "method": "card",
            "status": "succeeded",
        }
    ]
    assert events("payment.failed") == []
    deliveries = OutboxDelivery.objects.filter(event__event_type="payment.succeeded")
    # order_service made the order paid when the payment took it, before the capture.
    assert list(deliveries.values_list("target", "path")) == [("notification", "/api/events/")]


@pytest.mark.django_db(transaction=True)  # so that BEGIN and COMMIT are counted as they are sent
def test_a_card_payment_asks_the_database_14_times(owner_client, fake_order, monkeypatch):
    """Open the payment (1), authorize at the sandbox (1), record the authorization (4: the
    payment moved on by a conditional update, its transaction row), see whether the order
    was cancelled meanwhile (1), capture at the sandbox (1: a conditional update),
    record the charge (6: the payment moved on, its transaction row, the event and its
    delivery); the answer's transactions are those in hand. Counted around the payment's
    own work, without the Idempotency-Key's statements (common code)."""
    fake_order()
    statements: list[str] = []
    pay_as_before = views.PaymentListCreateView._pay

    def counted(view, request):
        with CaptureQueriesContext(connection) as captured:
            response = pay_as_before(view, request)
        statements.extend(query["sql"] for query in captured.captured_queries)
        return response

    monkeypatch.setattr(views.PaymentListCreateView, "_pay", counted)

    response = pay(owner_client, card_body())

    assert response.json()["status"] == "succeeded"
    assert len(statements) == 14, "\n".join(statement[:120] for statement in statements)


@pytest.mark.parametrize("number", [CARD_OK, CARD_INSUFFICIENT_FUNDS])
def test_a_payment_s_answer_is_what_reading_it_gives(owner_client, fake_order, number):
    fake_order()

    response = pay(owner_client, card_body(number=number))

    assert response.status_code == 201
    assert response.json() == owner_client.get(f"/api/payments/{response.json()['id']}/").json()


def test_the_order_is_read_with_this_services_own_token(owner_client, fake_order, mocked_responses):
    fake_order()
    pay(owner_client, card_body())
    token = mocked_responses.calls[0].request.headers["Authorization"].removeprefix("Bearer ")
    assert jwt.decode(token, options={"verify_signature": False})["service"] == "payment"


def test_a_card_number_sent_as_a_json_number_is_read_as_digits(owner_client, fake_order):
    fake_order()
    response = pay(owner_client, {"order_id": 1, "method": "card", "card": card() | {"number": int(CARD_OK)}})
    assert response.json()["card_last4"] == "4242"


def test_the_client_cannot_set_the_amount(owner_client, fake_order):
    fake_order(total="45.50")
    response = pay(owner_client, {**card_body(), "amount": "0.01"})
    assert response.json()["amount"] == "45.50"


def test_a_declined_card_is_a_failed_payment_with_its_reason_and_payment_failed(owner_client, fake_order):
    fake_order()

    response = pay(owner_client, card_body(number=CARD_INSUFFICIENT_FUNDS))

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["failure_code"]) == ("failed", "insufficient_funds")
    assert body["failure_message"]
    assert body["card_last4"] == "9995"
    [failed] = events("payment.failed")
    assert failed["failure_code"] == "insufficient_funds"
    assert failed["order_id"] == 1
    assert events("payment.succeeded") == []


def test_a_provider_error_is_a_failed_payment_and_the_order_can_be_paid_again(owner_client, fake_order):
    fake_order()
    fake_order()

    failed = pay(owner_client, card_body(number=CARD_PROVIDER_ERROR), key="first")
    again = pay(owner_client, card_body(), key="second")

    assert (failed.json()["status"], failed.json()["failure_code"]) == ("failed", "processing_error")
    assert again.status_code == 201
    assert again.json()["status"] == "succeeded"
    assert Payment.objects.count() == 2


def test_a_paid_order_cannot_be_paid_again(owner_client, fake_order, paid):
    fake_order()

    response = pay(owner_client, card_body(), key="another")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "order_already_paid"
    assert error["details"] == {"payment_id": paid["id"], "status": "succeeded"}
    assert Payment.objects.count() == 1


def test_cash_on_delivery_is_pending_and_blocks_a_second_payment(owner_client, fake_order):
    fake_order()
    fake_order()

    cod = pay(owner_client, {"order_id": 1, "method": "cod"}, key="cod")
    by_card = pay(owner_client, card_body(), key="card")

    assert cod.status_code == 201
    body = cod.json()
    assert (body["status"], body["method"], body["card_last4"], body["provider"]) == ("pending", "cod", "", "")
    assert [(t["kind"], t["status"]) for t in body["transactions"]] == [("cod", "pending")]
    assert by_card.status_code == 409
    assert by_card.json()["error"]["code"] == "payment_in_progress"
    assert not OutboxEvent.objects.exists()  # nothing happened yet that anyone must hear


@pytest.mark.parametrize("order_status", ["paid", "shipped", "delivered", "cancelled"])
def test_only_a_pending_order_can_be_paid(owner_client, fake_order, order_status):
    fake_order(status=order_status)

    response = pay(owner_client, card_body())

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "order_not_payable"
    assert response.json()["error"]["details"] == {"order_status": order_status}
    assert not Payment.objects.exists()


def test_someone_elses_order_is_as_a_missing_one_and_staff_may_pay_any(user_client, staff_client, fake_order):
    fake_order()
    fake_order()

    refused = pay(user_client(OWNER + 1), card_body(), key="a")
    assert refused.status_code == 400
    assert refused.json()["error"]["details"]["order_id"] == ["There is no order 1."]
    by_staff = pay(staff_client, card_body(), key="b")

    assert by_staff.status_code == 201
    assert by_staff.json()["user_id"] == OWNER  # the order's owner, not the staff member
    assert set(PaymentTransaction.objects.values_list("created_by", flat=True)) == {"staff 9000"}


def test_no_token_is_401(api_client):
    assert pay(api_client, card_body()).status_code == 401


def test_an_order_that_does_not_exist_is_400_naming_order_id(owner_client, mocked_responses):
    mocked_responses.get(order_url(77), status=404, json={"error": {"code": "not_found", "message": "no"}})

    response = pay(owner_client, card_body(order_id=77))

    assert response.status_code == 400
    assert "order_id" in response.json()["error"]["details"]


def _expired() -> list[tuple[dict, str]]:
    today = timezone.now().date()
    cases = [({"exp_year": today.year - 1}, "exp_year")]
    if today.month > 1:
        cases.append(({"exp_year": today.year, "exp_month": today.month - 1}, "exp_month"))
    return cases


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "card"}, "order_id"),
        ({"order_id": "abc", "method": "card", "card": card()}, "order_id"),
        ({"order_id": 0, "method": "card", "card": card()}, "order_id"),
        ({"order_id": 2**63, "method": "card", "card": card()}, "order_id"),
        ({"order_id": 10**40, "method": "card", "card": card()}, "order_id"),
        ({"order_id": [1], "method": "card", "card": card()}, "order_id"),
        ({"order_id": 1, "method": "bitcoin"}, "method"),
        ({"order_id": 1, "method": None}, "method"),
        ({"order_id": 1, "method": "card"}, "card"),
        ({"order_id": 1, "method": "card", "card": "4242424242424242"}, "card"),
        ({"order_id": 1, "method": "cod", "card": card()}, "card"),
        *[(card_body(**fields), "card") for fields, _ in _expired()],
        (card_body(number="4242424242424241"), "card"),
        (card_body(number="4242-4242-abcd-4242"), "card"),
        (card_body(number="42"), "card"),
        (card_body(number="4" * 31), "card"),
        (card_body(exp_month=13), "card"),
        (card_body(exp_month="twelve"), "card"),
        (card_body(exp_year=10**30), "card"),
        (card_body(cvc="12"), "card"),
        (card_body(cvc="12345"), "card"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_asks_nobody(owner_client, body, field):
    response = pay(owner_client, body)
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["details"]
    assert not Payment.objects.exists()


@pytest.mark.parametrize(("fields", "field"), _expired())
def test_an_expired_card_names_the_expiry_field(owner_client, fields, field):
    details = pay(owner_client, card_body(**fields)).json()["error"]["details"]
    assert details["card"] == {field: ["The card has expired."]}


def test_a_bad_check_digit_names_the_card_number(owner_client):
    details = pay(owner_client, card_body(number="4242424242424241")).json()["error"]["details"]
    assert list(details["card"]) == ["number"]


def test_a_card_number_with_spaces_is_accepted(owner_client, fake_order):
    fake_order()
    response = pay(owner_client, card_body(number="4242 4242 4242 4242"))
    assert response.json()["status"] == "succeeded"


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "null"])
def test_a_body_that_is_not_a_json_object_is_400(owner_client, raw):
    response = owner_client.generic(
        "POST", "/api/payments/", raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"parse_error", "validation_error"}


def test_a_body_that_is_not_json_at_all_is_415(owner_client):
    response = owner_client.generic(
        "POST", "/api/payments/", "order_id=1", content_type="text/plain", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 415


def test_order_service_down_is_503_naming_it_and_nothing_is_kept(owner_client, mocked_responses):
    mocked_responses.get(order_url(1), body=requests.ConnectionError("refused"))

    response = pay(owner_client, card_body())

    assert response.status_code == 503
    assert response.json()["error"]["details"] == {"service": "order"}
    assert not Payment.objects.exists()


def test_order_service_slow_is_504(owner_client, mocked_responses):
    mocked_responses.get(order_url(1), body=requests.ReadTimeout("slow"))

    response = pay(owner_client, card_body())

    assert response.status_code == 504
    assert response.json()["error"]["details"] == {"service": "order"}


@pytest.mark.parametrize(
    "answer",
    [
        {"json": {"id": 1, "user_id": OWNER, "status": "pending"}},  # no total
        {"json": {"id": 1, "user_id": OWNER, "status": "pending", "total": "lots"}},
        {"json": {"id": 1, "user_id": OWNER, "status": "pending", "total": "-5.00"}},
        {"json": {"id": 1, "user_id": OWNER, "status": "pending", "total": "NaN"}},
        {"json": {"id": 1, "user_id": "5", "status": "pending", "total": "1.00"}},
        {"json": [1, 2]},
        {"body": "<html>oops</html>"},
        {"status": 500, "json": {}},
        {"status": 401, "json": {}},
    ],
)
def test_a_malformed_or_failing_order_service_is_503(owner_client, mocked_responses, answer):
    mocked_responses.get(order_url(1), **answer)

    response = pay(owner_client, card_body())

    assert response.status_code == 503
    assert response.json()["error"]["details"] == {"service": "order"}
    assert not Payment.objects.exists()


def test_the_payment_names_the_time_it_was_made(owner_client, fake_order):
    fake_order()
    before = timezone.now()
    created = datetime.datetime.fromisoformat(pay(owner_client, card_body()).json()["created_at"])
    assert before <= created <= timezone.now()


def test_another_service_may_pay_for_an_order(service_client, fake_order):
    fake_order()
    response = pay(service_client, card_body())
    assert response.status_code == 201
    assert response.json()["user_id"] == OWNER
    assert set(PaymentTransaction.objects.values_list("created_by", flat=True)) == {"service test"}
