"""4.1 sign-up and 4.2 deletion of accounts."""

import logging

import pytest
from django.contrib.auth.hashers import identify_hasher

from accounts.models import Account
from common.testing.platform_tests import assert_not_found_alike
from conftest import PASSWORD
from customers.models import Address, Customer, FullName

pytestmark = pytest.mark.django_db

SIGN_UP = {"username": "ann", "email": "Ann@Example.com", "password": PASSWORD}


def test_sign_up_is_public_and_stores_only_a_hash(api_client):
    response = api_client.post("/api/accounts/", SIGN_UP)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "ann"
    assert body["email"] == "ann@example.com"
    assert body["is_staff"] is False
    assert "password" not in body
    account = Account.objects.get(pk=body["id"])
    assert account.password != PASSWORD
    assert identify_hasher(account.password)  # a Django hash, not the password
    assert account.check_password(PASSWORD)


def test_the_password_is_not_logged(api_client, caplog):
    with caplog.at_level(logging.DEBUG):
        api_client.post("/api/accounts/", SIGN_UP)
        api_client.post("/api/auth/login/", {"username": "ann", "password": PASSWORD})
        api_client.post("/api/auth/login/", {"username": "ann", "password": "wrong-password-1"})
    assert PASSWORD not in caplog.text
    assert "wrong-password-1" not in caplog.text


@pytest.mark.parametrize(
    ("second", "field", "code"),
    [
        ({"username": "ANN", "email": "other@example.com"}, "username", "username_taken"),
        ({"username": "bob", "email": "ANN@EXAMPLE.COM"}, "email", "email_taken"),
    ],
)
def test_username_and_email_are_unique_regardless_of_case(api_client, second, field, code):
    assert api_client.post("/api/accounts/", SIGN_UP).status_code == 201

    response = api_client.post("/api/accounts/", {**second, "password": PASSWORD})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == code
    assert field in response.json()["error"]["details"]
    assert Account.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**SIGN_UP, "email": "not-an-email"}, "email"),
        ({**SIGN_UP, "password": "short"}, "password"),
        ({**SIGN_UP, "password": "password123"}, "password"),  # a common password
        ({**SIGN_UP, "password": "8264930175"}, "password"),  # only digits
        ({**SIGN_UP, "username": "annie", "password": "annie@example.com"}, "password"),  # like the email
        ({**SIGN_UP, "username": "ann smith"}, "username"),
        ({**SIGN_UP, "username": "Nguyễn"}, "username"),  # login names are ASCII
        ({**SIGN_UP, "username": "a" * 151}, "username"),
        ({**SIGN_UP, "password": "x" * 257}, "password"),
        ({**SIGN_UP, "username": None}, "username"),
        ({**SIGN_UP, "username": {"a": 1}}, "username"),
        ({**SIGN_UP, "email": ["a@example.com"]}, "email"),
        ({"email": "a@example.com", "password": PASSWORD}, "username"),
        ({"username": "ann", "password": PASSWORD}, "email"),
        ({"username": "ann", "email": "a@example.com"}, "password"),
    ],
)
def test_bad_sign_up_is_400_naming_the_field(api_client, body, field):
    response = api_client.post("/api/accounts/", body)

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["details"]
    assert not Account.objects.exists()


@pytest.mark.parametrize("payload", ["not json", "[1, 2]", '"a string"', "{"])
def test_a_body_that_is_not_a_json_object_is_400(api_client, payload):
    response = api_client.post("/api/accounts/", payload, content_type="application/json")
    assert response.status_code == 400


def test_read_an_account_owner_or_staff(make_account, client_of, api_client):
    ann, bob, staff = make_account("ann"), make_account("bob"), make_account("boss", is_staff=True)

    assert client_of(ann).get(f"/api/accounts/{ann.id}/").json()["username"] == "ann"
    assert client_of(staff).get(f"/api/accounts/{ann.id}/").status_code == 200
    assert_not_found_alike(client_of(bob).get(f"/api/accounts/{ann.id}/"), client_of(bob).get("/api/accounts/999999/"))
    assert client_of(staff).get("/api/accounts/999999/").status_code == 404
    assert api_client.get(f"/api/accounts/{ann.id}/").status_code == 401


def test_the_owner_deletes_the_account_and_its_customer_goes_with_it(make_account, client_of):
    ann = make_account("ann")
    fullname = FullName.objects.create(account=ann, first_name="Ann", last_name="Lee")
    address = Address.objects.create(account=ann, address="1 Main St", city="Hanoi", country="Vietnam")
    Customer.objects.create(account=ann, fullname=fullname, address=address)

    response = client_of(ann).delete(f"/api/accounts/{ann.id}/")

    assert response.status_code == 204
    assert not Account.objects.filter(pk=ann.id).exists()
    assert not Customer.objects.exists()
    assert not FullName.objects.exists()
    assert not Address.objects.exists()


def test_staff_deletes_any_account_others_cannot(make_account, client_of, api_client, service_client):
    ann, bob, staff = make_account("ann"), make_account("bob"), make_account("boss", is_staff=True)

    assert service_client.get(f"/api/accounts/{ann.id}/").json()["email"] == "ann@example.com"
    assert service_client.delete(f"/api/accounts/{ann.id}/").status_code == 403

    assert api_client.delete(f"/api/accounts/{ann.id}/").status_code == 401
    assert_not_found_alike(
        client_of(bob).delete(f"/api/accounts/{ann.id}/"), client_of(bob).delete("/api/accounts/999999/")
    )
    assert Account.objects.filter(pk=ann.id).exists()
    assert client_of(staff).delete(f"/api/accounts/{ann.id}/").status_code == 204
    assert client_of(staff).delete(f"/api/accounts/{ann.id}/").status_code == 404


def test_a_token_of_a_deleted_account_cannot_write_here(make_account, client_of):
    ann = make_account("ann")
    client = client_of(ann)
    client.delete(f"/api/accounts/{ann.id}/")

    response = client.post("/api/fullnames/", {"first_name": "Ann", "last_name": "Lee"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "account_gone"


def test_createsuperuser_makes_a_staff_account_that_logs_in(db, api_client, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", "--noinput", username="root", email="Root@Example.com", verbosity=0)

    response = api_client.post("/api/auth/login/", {"username": "root", "password": PASSWORD})

    assert response.status_code == 200
    from rest_framework_simplejwt.tokens import AccessToken

    assert AccessToken(response.json()["access"])["is_staff"] is True
    assert Account.objects.get(username="root").email == "root@example.com"


def test_a_stale_token_does_not_stop_a_sign_up(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")
    assert api_client.post("/api/accounts/", SIGN_UP).status_code == 201
