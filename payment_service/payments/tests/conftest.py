import json

import pytest
from django.conf import settings

ORDER_URL = settings.SERVICE_URLS["order"]
OWNER = 5
CARD_OK = "4242424242424242"
CARD_INSUFFICIENT_FUNDS = "4000000000009995"
CARD_PROVIDER_ERROR = "4000000000000119"
CARD_REFUND_FAILS = "4000000000005126"


def order_url(order_id: int) -> str:
    """Where payments read the order (GET) and take it (POST)."""
    return f"{ORDER_URL}/api/orders/{order_id}/payment/"


def order_body(order_id: int = 1, *, user_id: int = OWNER, status: str = "pending", total: str = "45.50") -> dict:
    """order_service's answer to GET and POST /api/orders/{id}/payment/."""
    return {
        "id": order_id,
        "user_id": user_id,
        "status": status,
        "total": total,
        "payment_due_at": "2026-11-25T12:30:00Z" if status == "pending" else None,
        "payment_id": None,
        "cash_on_delivery": False,
    }


def card(number: str = CARD_OK, *, exp_month: int = 12, exp_year: int = 2099, cvc: str = "123") -> dict:
    return {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc}


def card_body(order_id: int = 1, number: str = CARD_OK, **card_fields) -> dict:
    return {"order_id": order_id, "method": "card", "card": card(number, **card_fields)}


def pay(client, body, key: str | None = "key-1"):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post("/api/payments/", body, format="json", **headers)


@pytest.fixture(autouse=True)
def _outbox_without_threads(settings):
    # The fast path's background thread would race the test's database; tests read the outbox rows.
    settings.OUTBOX_FAST_PATH = False


@pytest.fixture
def fake_order(mocked_responses):
    """fake_order(order_id=1, user_id=5, status="pending", total="45.50"): order_service
    answers it and lets a payment take it (paid for a card, still pending for cash), as
    it does a pending order. Whether the payment asked is the test's to check."""
    takes = []

    def make(order_id: int = 1, **fields):
        def take(request):
            method = json.loads(request.body)["method"]
            taken = fields | {"status": "paid" if method == "card" else "pending"}
            return 200, {}, json.dumps(order_body(order_id, **taken))

        takes.append(mocked_responses.add_callback("POST", order_url(order_id), callback=take))
        return mocked_responses.get(order_url(order_id), json=order_body(order_id, **fields))

    yield make
    for registered in takes:  # not every test pays, so these need not all be called
        mocked_responses.remove(registered)


@pytest.fixture
def owner_client(user_client):
    return user_client(OWNER)


@pytest.fixture
def paid(owner_client, fake_order):
    """A succeeded card payment of order 1 (owner 5)."""
    fake_order()
    response = pay(owner_client, card_body(), key="paid")
    assert response.status_code == 201, response.json()
    return response.json()
