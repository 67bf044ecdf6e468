"""Nothing a client can send is a 500: odd JSON values in every field of every write,
bodies that are not JSON objects, and odd query strings."""

import json

import pytest

pytestmark = pytest.mark.django_db

WRITES = ["/api/accounts/", "/api/auth/login/", "/api/auth/refresh/", "/api/fullnames/", "/api/addresses/"]
WRITES += ["/api/customers/"]
FIELDS = ["username", "password", "email", "refresh", "first_name", "last_name", "address", "city", "country"]
FIELDS += ["account_id", "fullname_id", "address_id"]
ODD_VALUES: list[object] = [None, True, 1e300, -1, 0, 2**70, "x\x00y", [], {}, "", " ", "1" * 5000, 1.5, "١٢"]


@pytest.fixture
def staff(make_account, client_of):
    return client_of(make_account("boss", is_staff=True))


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_odd_values_in_every_field_are_a_4xx(staff, path, value):
    response = staff.post(path, json.dumps(dict.fromkeys(FIELDS, value)), content_type="application/json")
    assert 400 <= response.status_code < 500, response.content[:300]
    assert response.json()["error"]["code"]


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize("raw", ["1e400", "NaN", "[", "null", '""', '{"account_id": 1e999}', "[1]"])
def test_bodies_that_are_not_json_objects_are_400(staff, path, raw):
    assert staff.post(path, raw, content_type="application/json").status_code == 400


def test_form_bodies_are_415(staff):
    assert staff.post("/api/accounts/", "a=b", content_type="application/x-www-form-urlencoded").status_code == 415


@pytest.mark.parametrize("query", ["search=%00", "account_id=99999999999999999999999", "account_id=-1", "page=abc"])
def test_odd_list_queries_are_not_a_500(staff, query):
    assert staff.get(f"/api/customers/?{query}").status_code in (200, 400, 404)


def test_a_number_where_a_string_belongs_is_400_naming_it(staff):
    body = {"username": 12345, "email": "n@example.com", "password": 1234567890123}

    response = staff.post("/api/accounts/", body, content_type="application/json")

    assert response.status_code == 400  # not taken as "12345" (common.serializers)
    assert {"username", "password"} <= set(response.json()["error"]["details"])


def test_a_blank_search_is_400_not_read_as_no_search(staff):
    response = staff.get("/api/customers/?search=")  # found by Schemathesis

    assert response.status_code == 400
    assert "search" in response.json()["error"]["details"]


def test_the_schema_documents_created_conflicts_and_throttling(staff):
    paths = staff.get("/api/schema/?format=json").json()["paths"]

    assert "201" in paths["/api/fullnames/"]["post"]["responses"]
    assert "201" in paths["/api/addresses/"]["post"]["responses"]
    assert {"201", "409", "503", "504"} <= set(paths["/api/customers/"]["post"]["responses"])
    assert {"201", "409"} <= set(paths["/api/accounts/"]["post"]["responses"])
    assert {"401", "429"} <= set(paths["/api/auth/login/"]["post"]["responses"])


@pytest.mark.parametrize(
    "path", ["/api/customers/99999999999999999999999/", "/api/accounts/99999999999999999999999/customer/"]
)
def test_ids_no_database_can_hold_are_404(staff, path):
    assert staff.get(path).status_code == 404
