"""POST /api/checkout/: order the cart and pay for it in one call."""

import json

import pytest
import requests

ORDERS = "http://127.0.0.1:3000/api/orders/"
PAYMENTS = "http://127.0.0.1:6000/api/payments/"
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
ORDER = {"id": 31, "user_id": 7, "status": "pending", "total": "90.00", "lines": []}
PAID = {"id": 5, "order_id": 31, "status": "succeeded", "amount": "90.00", "method": "card"}
DECLINED = PAID | {"status": "failed", "failure_code": "insufficient_funds", "failure_message": "Declined."}

pytestmark = pytest.mark.django_db  # the gateway counts writes against the rate limit


def checkout(client, body=None, key="buy-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    body = body if body is not None else {"payment_method": "card", "card": CARD}
    return client.post("/api/checkout/", body, format="json", **headers)


def test_orders_then_pays_with_a_key_for_each(user_client, mocked_responses):
    mocked_responses.post(ORDERS, json=ORDER, status=201)
    mocked_responses.post(PAYMENTS, json=PAID, status=201)
    client = user_client(7)
    response = checkout(client)
    assert response.status_code == 201
    assert response.json() == {"order": ORDER, "payment": PAID}
    order_call, payment_call = mocked_responses.calls
    assert json.loads(order_call.request.body) == {"user_id": 7}
    assert order_call.request.headers["Idempotency-Key"] == "buy-1:order"
    assert json.loads(payment_call.request.body) == {"order_id": 31, "method": "card", "card": CARD}
    assert payment_call.request.headers["Idempotency-Key"] == "buy-1:payment"
    token = client._credentials["HTTP_AUTHORIZATION"]
    assert order_call.request.headers["Authorization"] == payment_call.request.headers["Authorization"] == token


def test_a_replay_answers_200(user_client, mocked_responses):
    # order_service replays its first answer (201) and says so in a header.
    mocked_responses.post(ORDERS, json=ORDER, status=201, headers={"Idempotent-Replayed": "true"})
    mocked_responses.post(PAYMENTS, json=PAID, status=201)
    assert checkout(user_client(7)).status_code == 200


def test_cash_on_delivery_sends_no_card(user_client, mocked_responses):
    mocked_responses.post(ORDERS, json=ORDER, status=201)
    mocked_responses.post(PAYMENTS, json=PAID | {"method": "cod", "status": "pending"}, status=201)
    assert checkout(user_client(7), {"payment_method": "cod"}).status_code == 201
    assert json.loads(mocked_responses.calls[1].request.body) == {"order_id": 31, "method": "cod"}


def test_a_declined_card_is_402_with_the_pending_order(user_client, mocked_responses):
    mocked_responses.post(ORDERS, json=ORDER, status=201)
    mocked_responses.post(PAYMENTS, json=DECLINED, status=201)
    response = checkout(user_client(7))
    assert response.status_code == 402
    body = response.json()
    assert body["error"]["code"] == "payment_failed"
    assert body["error"]["details"] == {"order_id": 31, "failure_code": "insufficient_funds"}
    assert "Order 31 was placed" in body["error"]["message"]
    assert body["order"] == ORDER
    assert body["payment"] == DECLINED


def test_payment_service_down_is_503_with_the_order(user_client, mocked_responses):
    mocked_responses.post(ORDERS, json=ORDER, status=201)
    mocked_responses.post(PAYMENTS, body=requests.ConnectionError("down"))
    response = checkout(user_client(7))
    assert response.status_code == 503
    body = response.json()
    assert body["error"]["details"] == {"service": "payment"}
    assert body["order"] == ORDER
    assert body["payment"] is None


def test_a_card_refused_by_payment_service_is_its_400_with_the_order(user_client, mocked_responses):
    refusal = {"error": {"code": "validation_error", "message": "Bad card.", "details": {"card": {"number": ["x"]}}}}
    mocked_responses.post(ORDERS, json=ORDER, status=201)
    mocked_responses.post(PAYMENTS, json=refusal, status=400)
    response = checkout(user_client(7))
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"card": {"number": ["x"]}}
    assert response.json()["order"] == ORDER


def test_an_order_refused_is_the_answer_and_nothing_is_paid(user_client, mocked_responses):
    refusal = {"error": {"code": "cart_empty", "message": "The cart is empty."}}
    mocked_responses.post(ORDERS, json=refusal, status=409)
    response = checkout(user_client(7))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cart_empty"
    assert "order" not in response.json()
    assert len(mocked_responses.calls) == 1


@pytest.mark.parametrize(
    ("status", "code", "behind"), [(503, "service_unavailable", "inventory"), (504, "service_timeout", "cart")]
)
def test_order_service_naming_what_failed_behind_it_is_passed_on(user_client, mocked_responses, status, code, behind):
    refusal = {"error": {"code": code, "message": f"The {behind} service failed.", "details": {"service": behind}}}
    mocked_responses.post(ORDERS, json=refusal, status=status)
    response = checkout(user_client(7))
    assert response.status_code == status
    assert (response.json()["error"]["code"], response.json()["error"]["details"]) == (code, {"service": behind})
    assert len(mocked_responses.calls) == 1


def test_order_service_failing_itself_is_503_naming_order(user_client, mocked_responses):
    mocked_responses.post(ORDERS, body="<html>Internal Server Error</html>", status=500)
    mocked_responses.post(ORDERS, body="Bad Gateway", status=503)
    for _ in range(2):
        response = checkout(user_client(7))
        assert response.status_code == 503
        assert response.json()["error"]["details"] == {"service": "order"}


@pytest.mark.parametrize(
    ("body", "key", "field"),
    [
        ({"payment_method": "card", "card": CARD}, None, "Idempotency-Key"),
        ({"payment_method": "card", "card": CARD}, "x" * 248, "Idempotency-Key"),  # 247 + ":payment" = 255
        ({"payment_method": "card", "card": CARD}, "has space", "Idempotency-Key"),
        ({"payment_method": "card"}, "k", "card"),
        ({"payment_method": "cod", "card": CARD}, "k", "card"),
        ({"payment_method": "cheque"}, "k", "payment_method"),
        ({}, "k", "payment_method"),
    ],
)
def test_bad_input_is_400_before_any_call(user_client, mocked_responses, body, key, field):
    response = checkout(user_client(7), body, key=key)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert len(mocked_responses.calls) == 0


def test_needs_a_user_token(api_client, service_client):
    assert checkout(api_client).status_code == 401
    assert checkout(service_client).status_code == 403


def test_an_order_answered_with_garbage_is_503_naming_order(user_client, mocked_responses):
    mocked_responses.post(ORDERS, json={"no": "id"}, status=201)

    response = checkout(user_client(7))

    assert response.status_code == 503
    assert response.json()["error"]["details"] == {"service": "order"}
    assert len(mocked_responses.calls) == 1  # nothing paid for an order it cannot read


def test_a_payment_answered_with_garbage_is_503_with_the_order(user_client, mocked_responses):
    mocked_responses.post(ORDERS, json=ORDER, status=201)
    mocked_responses.post(PAYMENTS, body="<html>oops</html>", status=201, content_type="text/html")

    response = checkout(user_client(7))

    assert response.status_code == 503
    assert response.json()["error"]["details"] == {"service": "payment"}
    assert response.json()["order"] == ORDER
