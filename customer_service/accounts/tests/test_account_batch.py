"""GET /api/accounts/?ids=: many accounts by id, for staff and services (the admins'
usernames); sign-up on the same path stays public and reads no token."""

import pytest

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_staff_and_services_read_accounts_by_id_with_the_ids_of_none(make_account, staff_client, service_client):
    ann, bob = make_account("ann"), make_account("bob")
    asked = f"{bob.pk},{ann.pk},{bob.pk + 1000}"

    for client in (staff_client, service_client):
        body = client.get("/api/accounts/", {"ids": asked}).json()
        assert body["count"] == 2
        assert sorted((a["id"], a["username"]) for a in body["results"]) == [(ann.pk, "ann"), (bob.pk, "bob")]
        assert body["missing_ids"] == [bob.pk + 1000]
        assert all("password" not in account for account in body["results"])


def test_a_customer_or_nobody_may_not_read_accounts_by_id(make_account, client_of, api_client):
    ann = make_account("ann")

    assert client_of(ann).get("/api/accounts/", {"ids": str(ann.pk)}).status_code == 403
    assert api_client.get("/api/accounts/", {"ids": str(ann.pk)}).status_code == 401


@pytest.mark.parametrize("ids", ["", "a,b", "0", ",".join(str(i) for i in range(1, 102))])
def test_ids_are_whole_numbers_at_most_100(staff_client, ids):
    response = staff_client.get("/api/accounts/", {"ids": ids})

    assert response.status_code == 400
    assert "ids" in response.json()["error"]["details"]


def test_one_query_whatever_the_number_of_ids(make_account, staff_client, django_assert_num_queries):
    accounts = [make_account(f"user{n}") for n in range(30)]

    with django_assert_num_queries(1):
        body = staff_client.get("/api/accounts/", {"ids": ",".join(str(a.pk) for a in accounts)}).json()

    assert body["count"] == 30


def test_sign_up_on_the_same_path_reads_no_token(api_client):
    stale = {"HTTP_AUTHORIZATION": "Bearer not-a-token"}
    body = {"username": "ann", "email": "ann@example.com", "password": PASSWORD}

    assert api_client.post("/api/accounts/", body, **stale).status_code == 201
