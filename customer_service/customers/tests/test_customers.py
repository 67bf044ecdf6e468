"""4.5 customers: linking an account, full name and address, creating the cart."""

import json

import pytest
import requests

from common.testing.platform_tests import assert_not_found_alike
from customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(make_account):
    return make_account("ann")


@pytest.fixture
def staff(make_account):
    return make_account("boss", is_staff=True)


@pytest.fixture
def profile(client_of):
    """profile(account) -> (fullname_id, address_id) the account created for itself."""

    def make(account):
        client = client_of(account)
        fullname = client.post("/api/fullnames/", {"first_name": account.username.title(), "last_name": "Lê"})
        address = client.post("/api/addresses/", {"address": "1 Main St", "city": "Huế", "country": "Vietnam"})
        return fullname.json()["id"], address.json()["id"]

    return make


def customer_body(account, fullname_id, address_id):
    return {"account_id": account.id, "fullname_id": fullname_id, "address_id": address_id}


def test_create_a_customer_and_its_cart(ann, profile, client_of, cart_service):
    fullname_id, address_id = profile(ann)

    response = client_of(ann).post("/api/customers/", customer_body(ann, fullname_id, address_id))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["account_id"] == ann.id
    assert body["fullname"]["first_name"] == "Ann"
    assert body["address"]["city"] == "Huế"
    cart_call = cart_service.calls[0].request
    assert json.loads(cart_call.body) == {"user_id": ann.id}
    assert cart_call.headers["Authorization"].startswith("Bearer ")  # the service token


def test_an_existing_cart_is_fine(ann, profile, client_of, mocked_responses, carts_url):
    mocked_responses.post(carts_url, status=200, json={"id": 7, "user_id": ann.id, "items": []})

    response = client_of(ann).post("/api/customers/", customer_body(ann, *profile(ann)))

    assert response.status_code == 201


def test_one_customer_per_account(ann, profile, client_of, cart_service):
    body = customer_body(ann, *profile(ann))
    assert client_of(ann).post("/api/customers/", body).status_code == 201

    second = client_of(ann).post("/api/customers/", body)

    assert second.status_code == 409
    assert second.json()["error"]["code"] == "customer_exists"
    assert len(cart_service.calls) == 1  # refused before calling cart_service
    assert Customer.objects.count() == 1


def test_cart_service_down_is_503_and_nothing_is_saved(ann, profile, client_of, mocked_responses, carts_url):
    mocked_responses.post(carts_url, body=requests.ConnectionError("refused"))

    response = client_of(ann).post("/api/customers/", customer_body(ann, *profile(ann)))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response.json()["error"]["details"]["service"] == "cart"
    assert not Customer.objects.exists()


def test_cart_service_slow_is_504_and_nothing_is_saved(ann, profile, client_of, mocked_responses, carts_url):
    mocked_responses.post(carts_url, body=requests.ReadTimeout("slow"))

    response = client_of(ann).post("/api/customers/", customer_body(ann, *profile(ann)))

    assert response.status_code == 504
    assert response.json()["error"]["code"] == "service_timeout"
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 500, "json": {"error": "boom"}},
        {"status": 201, "body": "<html>not json</html>"},
        {"status": 201, "json": [1, 2]},
        {"status": 201, "json": {"user_id": 424242}},
        {"status": 403, "json": {"error": {"code": "permission_denied"}}},
    ],
    ids=["5xx", "not-json", "not-an-object", "another-users-cart", "refused"],
)
def test_a_broken_cart_answer_is_503_and_nothing_is_saved(ann, profile, client_of, mocked_responses, carts_url, answer):
    mocked_responses.post(carts_url, **answer)

    response = client_of(ann).post("/api/customers/", customer_body(ann, *profile(ann)))

    assert response.status_code == 503
    assert response.json()["error"]["details"]["service"] == "cart"
    assert not Customer.objects.exists()


def test_after_cart_service_is_back_the_same_request_succeeds(ann, profile, client_of, mocked_responses, carts_url):
    body = customer_body(ann, *profile(ann))
    mocked_responses.post(carts_url, body=requests.ConnectionError("refused"))
    assert client_of(ann).post("/api/customers/", body).status_code == 503
    mocked_responses.replace("POST", carts_url, status=201, json={"user_id": ann.id})

    assert client_of(ann).post("/api/customers/", body).status_code == 201


def test_only_your_own_account_full_name_and_address(ann, make_account, profile, client_of):
    bob = make_account("bob")
    ann_fullname, ann_address = profile(ann)
    bob_fullname, bob_address = profile(bob)
    bob_client = client_of(bob)

    # No cart call is registered: each is refused before cart_service is asked.
    assert bob_client.post("/api/customers/", customer_body(ann, ann_fullname, ann_address)).status_code == 403
    # Ann's full name or address is, to Bob, one that does not exist.
    for field, body in (
        ("fullname_id", customer_body(bob, ann_fullname, bob_address)),
        ("address_id", customer_body(bob, bob_fullname, ann_address)),
    ):
        theirs = bob_client.post("/api/customers/", body)
        missing = bob_client.post("/api/customers/", body | {field: 999999})
        assert theirs.status_code == missing.status_code == 400
        [their_message] = theirs.json()["error"]["details"][field]
        [missing_message] = missing.json()["error"]["details"][field]
        assert their_message.replace(str(body[field]), "N") == missing_message.replace("999999", "N")
    assert not Customer.objects.exists()


def test_staff_link_any_account_with_its_own_full_name_and_address(
    ann, staff, make_account, profile, client_of, cart_service
):
    bob = make_account("bob")
    ann_fullname, ann_address = profile(ann)
    _, bob_address = profile(bob)

    mixed = client_of(staff).post("/api/customers/", customer_body(ann, ann_fullname, bob_address))
    assert mixed.status_code == 400
    assert "address_id" in mixed.json()["error"]["details"]

    response = client_of(staff).post("/api/customers/", customer_body(ann, ann_fullname, ann_address))
    assert response.status_code == 201
    assert json.loads(cart_service.calls[0].request.body) == {"user_id": ann.id}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fullname_id": 999999}, "fullname_id"),
        ({"address_id": 999999}, "address_id"),
        ({"fullname_id": None}, "fullname_id"),
        ({"fullname_id": "one"}, "fullname_id"),
        ({"address_id": 0}, "address_id"),
        ({"address_id": 10**30}, "address_id"),
        ({"account_id": [1]}, "account_id"),
    ],
)
def test_bad_ids_are_400_naming_the_field(ann, profile, client_of, change, field):
    body = customer_body(ann, *profile(ann)) | change

    response = client_of(ann).post("/api/customers/", body)

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_an_account_that_does_not_exist_is_400_for_staff(staff, client_of):
    response = client_of(staff).post("/api/customers/", {"account_id": 999999, "fullname_id": 1, "address_id": 1})
    assert response.status_code == 400
    assert "account_id" in response.json()["error"]["details"]


def test_missing_fields_are_400(ann, client_of):
    response = client_of(ann).post("/api/customers/", {})
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"account_id", "fullname_id", "address_id"}


def test_creating_needs_a_token(api_client):
    assert api_client.post("/api/customers/", {"account_id": 1, "fullname_id": 1, "address_id": 1}).status_code == 401


@pytest.fixture
def ann_customer(ann, profile, client_of, cart_service):
    return client_of(ann).post("/api/customers/", customer_body(ann, *profile(ann))).json()


def test_read_a_customer_by_id_or_by_account(ann, ann_customer, client_of, staff, make_account, api_client):
    bob = make_account("bob")
    by_id = f"/api/customers/{ann_customer['id']}/"
    by_account = f"/api/accounts/{ann.id}/customer/"

    missing = {by_id: "/api/customers/999999/", by_account: "/api/accounts/999999/customer/"}
    for path in (by_id, by_account):
        assert client_of(ann).get(path).json() == ann_customer
        assert client_of(staff).get(path).status_code == 200
        assert_not_found_alike(client_of(bob).get(path), client_of(bob).get(missing[path]))
        assert api_client.get(path).status_code == 401
    assert client_of(bob).get(f"/api/accounts/{bob.id}/customer/").status_code == 404
    assert client_of(staff).get("/api/customers/999999/").status_code == 404


def test_staff_list_and_search_customers(ann_customer, staff, client_of, ann, service_client):
    everyone = client_of(staff).get("/api/customers/").json()
    assert everyone["count"] == 1
    assert everyone["results"][0]["fullname"]["first_name"] == "Ann"
    for term in ("ANN", "huế", "vietnam", "example.com"):
        assert client_of(staff).get("/api/customers/", {"search": term}).json()["count"] == 1, term
    assert client_of(staff).get("/api/customers/", {"search": "zzz"}).json()["count"] == 0
    assert client_of(staff).get("/api/customers/", {"account_id": ann.id}).json()["count"] == 1
    assert service_client.get("/api/customers/", {"account_id": ann.id}).json()["count"] == 1
    bad = client_of(staff).get("/api/customers/", {"account_id": "x"})
    assert bad.status_code == 400
    assert "account_id" in bad.json()["error"]["details"]


def test_customers_cannot_list_customers(ann_customer, ann, client_of):
    assert client_of(ann).get("/api/customers/").status_code == 403


def test_a_concurrent_second_customer_is_409_not_an_error(ann, profile, client_of, monkeypatch):
    from customers.clients import carts

    fullname_id, address_id = profile(ann)

    def another_request_wins_while_the_cart_is_made(*, user_id):
        Customer.objects.create(account=ann, fullname_id=fullname_id, address_id=address_id)
        return carts.CartRef(user_id=user_id, created=False)

    monkeypatch.setattr(carts, "cart_create", another_request_wins_while_the_cart_is_made)

    response = client_of(ann).post("/api/customers/", customer_body(ann, fullname_id, address_id))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "customer_exists"
    assert Customer.objects.count() == 1
