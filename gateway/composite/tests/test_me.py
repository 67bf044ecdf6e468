"""GET /api/me/: account, customer, cart summary and latest orders in one answer."""

import pytest
import requests

CUSTOMER = "http://127.0.0.1:4000"
CART = "http://127.0.0.1:5000"
ORDER = "http://127.0.0.1:3000"

ACCOUNT = {"id": 7, "username": "lan", "email": "lan@example.com", "is_staff": False}
PROFILE = {"id": 3, "account_id": 7, "fullname": {"first_name": "Lan"}, "address": {"city": "Huế"}}
CART_VIEW = {
    "user_id": 7,
    "items": [{"product_id": 1, "quantity": 2}, {"product_id": 4, "quantity": 1}],
    "total_quantity": 3,
    "total_price": "150.00",
    "details_available": True,
}
ORDERS = {"count": 9, "next": "x", "previous": None, "results": [{"id": 12, "status": "pending"}]}


def fake_all(mocked, **overrides):
    parts = {
        "account": (f"{CUSTOMER}/api/accounts/7/", ACCOUNT),
        "customer": (f"{CUSTOMER}/api/accounts/7/customer/", PROFILE),
        "cart": (f"{CART}/api/carts/7/", CART_VIEW),
        "orders": (f"{ORDER}/api/orders/", ORDERS),
    }
    for part, (url, body) in parts.items():
        override = overrides.get(part)
        if isinstance(override, Exception):
            mocked.get(url, body=override)
        elif override is not None:
            mocked.get(url, json=override[1], status=override[0])
        else:
            mocked.get(url, json=body)


def test_everything_in_one_answer_with_the_callers_token(user_client, mocked_responses):
    fake_all(mocked_responses)
    client = user_client(7)
    response = client.get("/api/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["account"] == ACCOUNT
    assert body["customer"] == PROFILE
    assert body["cart"] == {"lines": 2, "total_quantity": 3, "total_price": "150.00", "details_available": True}
    assert body["latest_orders"] == {"count": 9, "results": [{"id": 12, "status": "pending"}]}
    assert body["unavailable"] == []
    sent = {call.request.url.split("?")[0]: call.request for call in mocked_responses.calls}
    token = client._credentials["HTTP_AUTHORIZATION"]
    assert {request.headers["Authorization"] for request in sent.values()} == {token}
    assert "user_id=7" in sent[f"{ORDER}/api/orders/"].url
    assert "page_size=5" in sent[f"{ORDER}/api/orders/"].url


def test_no_profile_and_no_cart_yet_are_nulls(user_client, mocked_responses):
    not_found = (404, {"error": {"code": "not_found", "message": "no"}})
    fake_all(mocked_responses, customer=not_found, cart=not_found)
    body = user_client(7).get("/api/me/").json()
    assert body["customer"] is None
    assert body["cart"] is None
    assert body["unavailable"] == []


def test_a_part_whose_service_is_down_is_null_and_named(user_client, mocked_responses):
    fake_all(mocked_responses, cart=requests.ConnectionError("down"), orders=(503, {}))
    response = user_client(7).get("/api/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["cart"] is None
    assert body["latest_orders"] is None
    assert body["account"] == ACCOUNT
    assert sorted(body["unavailable"], key=lambda u: u["part"]) == [
        {"part": "cart", "service": "cart", "code": "service_unavailable"},
        {"part": "latest_orders", "service": "order", "code": "service_unavailable"},
    ]


def test_without_customer_service_there_is_no_answer(user_client, mocked_responses):
    mocked_responses.get(f"{CUSTOMER}/api/accounts/7/", body=requests.ConnectionError("down"))
    mocked_responses.get(f"{CUSTOMER}/api/accounts/7/customer/", body=requests.ConnectionError("down"))
    mocked_responses.get(f"{CART}/api/carts/7/", json=CART_VIEW)
    mocked_responses.get(f"{ORDER}/api/orders/", json=ORDERS)
    response = user_client(7).get("/api/me/")
    assert response.status_code == 503
    assert response.json()["error"]["details"] == {"service": "customer"}


def test_a_deleted_account_is_404(user_client, mocked_responses):
    fake_all(mocked_responses, account=(404, {"error": {"code": "not_found", "message": "gone"}}))
    response = user_client(7).get("/api/me/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "account_gone"


def test_a_peers_refusal_is_passed_on(user_client, mocked_responses):
    refusal = {"error": {"code": "permission_denied", "message": "Not yours.", "details": None}}
    fake_all(mocked_responses, account=(403, refusal))
    response = user_client(7).get("/api/me/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert response.json()["error"]["message"] == "Not yours."


def test_needs_a_user_token(api_client, service_client):
    assert api_client.get("/api/me/").status_code == 401
    assert service_client.get("/api/me/").status_code == 403


def test_the_schema_documents_what_me_and_checkout_answer(api_client, db):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]

    assert {"200", "401", "404", "503", "504"} <= set(paths["/api/me/"]["get"]["responses"])
    checkout = set(paths["/api/checkout/"]["post"]["responses"])
    assert {"201", "200", "400", "402", "409", "422", "429", "503", "504"} <= checkout


GARBAGE = [
    pytest.param((200, "not json"), id="not JSON"),
    pytest.param((200, []), id="a list"),
    pytest.param((200, {"unexpected": True}), id="fields missing"),
]


def fake_all_but(mocked, url: str):
    bodies = {
        f"{CUSTOMER}/api/accounts/7/": ACCOUNT,
        f"{CUSTOMER}/api/accounts/7/customer/": PROFILE,
        f"{CART}/api/carts/7/": CART_VIEW,
        f"{ORDER}/api/orders/": ORDERS,
    }
    for other, body in bodies.items():
        if other != url:
            mocked.get(other, json=body)


def fake_garbage(mocked, url: str, answer: tuple[int, object]):
    status, body = answer
    if isinstance(body, str):
        mocked.get(url, body=body, status=status, content_type="text/plain")
    else:
        mocked.get(url, json=body, status=status)


@pytest.mark.parametrize("answer", GARBAGE)
@pytest.mark.parametrize(
    ("part", "url", "service"),
    [
        ("cart", f"{CART}/api/carts/7/", "cart"),
        ("customer", f"{CUSTOMER}/api/accounts/7/customer/", "customer"),
        ("latest_orders", f"{ORDER}/api/orders/", "order"),
    ],
)
def test_a_part_whose_service_answers_garbage_is_null_and_named(
    user_client, mocked_responses, part, url, service, answer
):
    fake_all_but(mocked_responses, url)
    fake_garbage(mocked_responses, url, answer)

    response = user_client(7).get("/api/me/")

    assert response.status_code == 200
    assert response.json()[part] is None
    assert response.json()["unavailable"] == [{"part": part, "service": service, "code": "service_unavailable"}]


@pytest.mark.parametrize("answer", [*GARBAGE, pytest.param((302, {}), id="a redirect")])
def test_an_account_answered_with_garbage_is_503_naming_customer(user_client, mocked_responses, answer):
    fake_all_but(mocked_responses, f"{CUSTOMER}/api/accounts/7/")
    fake_garbage(mocked_responses, f"{CUSTOMER}/api/accounts/7/", answer)

    response = user_client(7).get("/api/me/")

    assert response.status_code == 503
    assert response.json()["error"]["details"] == {"service": "customer"}


def test_a_refusal_with_an_unreadable_error_is_passed_on_with_its_status(user_client, mocked_responses):
    fake_all(mocked_responses, account=(403, {"error": ["not", "an", "object"]}))

    response = user_client(7).get("/api/me/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_request"
