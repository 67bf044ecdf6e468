"""4.3 full names and 4.4 addresses: created by a logged-in user, owned by them."""

import pytest

from common.testing.platform_tests import assert_not_found_alike
from customers.models import Address, FullName

pytestmark = pytest.mark.django_db

ADDRESS = {"address": "12 Hàng Bài", "city": "Hà Nội", "country": "Vietnam"}


def test_a_user_creates_a_full_name_they_own(make_account, client_of):
    ann = make_account("ann")

    response = client_of(ann).post("/api/fullnames/", {"first_name": "Ann", "last_name": "Lê"})

    assert response.status_code == 201, response.json()
    assert response.json()["account_id"] == ann.id
    assert FullName.objects.get(pk=response.json()["id"]).account == ann


def test_a_user_creates_an_address_they_own(make_account, client_of):
    ann = make_account("ann")

    response = client_of(ann).post("/api/addresses/", ADDRESS)

    assert response.status_code == 201, response.json()
    assert response.json() | ADDRESS == response.json()
    assert Address.objects.get(pk=response.json()["id"]).account == ann


@pytest.mark.parametrize("path", ["/api/fullnames/", "/api/addresses/"])
def test_creating_needs_a_user_token(api_client, service_client, path):
    body = {"first_name": "A", "last_name": "B", **ADDRESS}
    assert api_client.post(path, body).status_code == 401
    assert service_client.post(path, body).status_code == 403


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/fullnames/", {"last_name": "Lê"}, "first_name"),
        ("/api/fullnames/", {"first_name": "", "last_name": "Lê"}, "first_name"),
        ("/api/fullnames/", {"first_name": "A" * 151, "last_name": "Lê"}, "first_name"),
        ("/api/fullnames/", {"first_name": "Ann", "last_name": ["Lê"]}, "last_name"),
        ("/api/addresses/", {**ADDRESS, "city": ""}, "city"),
        ("/api/addresses/", {"address": "1 Main St", "city": "Huế"}, "country"),
        ("/api/addresses/", {**ADDRESS, "account_id": "me"}, "account_id"),
        ("/api/addresses/", {**ADDRESS, "account_id": 10**30}, "account_id"),
    ],
)
def test_bad_input_is_400_naming_the_field(make_account, client_of, path, body, field):
    response = client_of(make_account("ann")).post(path, body)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_only_staff_create_for_another_account(make_account, client_of):
    ann, bob, staff = make_account("ann"), make_account("bob"), make_account("boss", is_staff=True)
    body = {"first_name": "Ann", "last_name": "Lê", "account_id": ann.id}

    assert client_of(bob).post("/api/fullnames/", body).status_code == 403
    by_staff = client_of(staff).post("/api/fullnames/", body)
    assert by_staff.status_code == 201
    assert by_staff.json()["account_id"] == ann.id
    missing = client_of(staff).post("/api/fullnames/", {**body, "account_id": 999999})
    assert missing.status_code == 400
    assert "account_id" in missing.json()["error"]["details"]


def test_reads_are_for_the_owner_or_staff(make_account, client_of, api_client):
    ann, bob, staff = make_account("ann"), make_account("bob"), make_account("boss", is_staff=True)
    fullname = client_of(ann).post("/api/fullnames/", {"first_name": "Ann", "last_name": "Lê"}).json()
    address = client_of(ann).post("/api/addresses/", ADDRESS).json()
    client_of(bob).post("/api/addresses/", ADDRESS)

    assert client_of(ann).get(f"/api/fullnames/{fullname['id']}/").status_code == 200
    assert client_of(staff).get(f"/api/addresses/{address['id']}/").status_code == 200
    assert_not_found_alike(
        client_of(bob).get(f"/api/fullnames/{fullname['id']}/"), client_of(bob).get("/api/fullnames/999999/")
    )
    assert_not_found_alike(
        client_of(bob).get(f"/api/addresses/{address['id']}/"), client_of(bob).get("/api/addresses/999999/")
    )
    assert api_client.get(f"/api/addresses/{address['id']}/").status_code == 401
    assert client_of(ann).get("/api/addresses/999999/").status_code == 404
    assert [a["id"] for a in client_of(ann).get("/api/addresses/").json()["results"]] == [address["id"]]
    assert client_of(staff).get("/api/addresses/").json()["count"] == 2
