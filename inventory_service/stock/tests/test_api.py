"""The HTTP API: input checking, access rules, answers and error codes."""

import pytest
import requests

from common.batch import MAX_BATCH_IDS
from stock.models import MAX_PRODUCT_ID, StockItem
from stock.tests.conftest import book_url

pytestmark = pytest.mark.django_db


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


# --- access -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/warehouse/"),
        ("post", "/api/warehouse/"),
        ("patch", "/api/warehouse/"),
        ("post", "/api/warehouse/items/"),
        ("delete", "/api/warehouse/items/1/?quantity=1"),
        ("get", "/api/warehouse/capacity/?product_id=1&quantity=1"),
    ],
)
def test_warehouse_writes_and_info_are_for_staff(api_client, user_client, service_client, warehouse, method, path):
    assert error_of(getattr(api_client, method)(path, {}), 401)["code"] == "not_authenticated"
    assert error_of(getattr(user_client(5), method)(path, {}), 403)["code"] == "permission_denied"
    assert getattr(service_client, method)(path, {}).status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/warehouse/reservations/"),
        ("delete", "/api/warehouse/reservations/r1/"),
        ("post", "/api/warehouse/reservations/r1/confirm/"),
    ],
)
def test_reservations_are_for_services(api_client, user_client, staff_client, warehouse, method, path):
    assert error_of(getattr(api_client, method)(path, {}), 401)["code"] == "not_authenticated"
    assert error_of(getattr(user_client(5), method)(path, {}), 403)["code"] == "permission_denied"
    assert error_of(getattr(staff_client, method)(path, {}), 403)["code"] == "permission_denied"


def test_stock_levels_are_public(api_client, put_stock):
    put_stock(7, 3)
    assert api_client.get("/api/warehouse/items/7/").json()["available"] == 3
    assert api_client.get("/api/warehouse/items/", {"ids": "7"}).json()["count"] == 1


# --- 8.1, 8.2, 8.4 the warehouse ----------------------------------------------


def test_staff_creates_the_default_warehouse_once(staff_client):
    created = staff_client.post("/api/warehouse/", {})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "active"
    assert (body["book_quantity"], body["clothes_quantity"], body["electronic_quantity"]) == (10_000, 5_000, 2_000)
    again = error_of(staff_client.post("/api/warehouse/", {}), 409)
    assert again["code"] == "warehouse_exists"
    assert again["details"] == {"warehouse_id": body["id"]}


def test_create_takes_optional_address_and_capacities(staff_client):
    body = staff_client.post("/api/warehouse/", {"address": "Hà Nội", "book_quantity": 50}).json()
    assert (body["address"], body["book_quantity"], body["clothes_quantity"]) == ("Hà Nội", 50, 5_000)


def test_info_gives_capacity_used_reserved_free_and_products_per_type(staff_client, service_client, put_stock):
    put_stock(1, 30)
    put_stock(2, 10)
    put_stock(3, 4, product_type="electronics")
    service_client.post(
        "/api/warehouse/reservations/", {"reference": "o1", "items": [{"product_id": 1, "quantity": 5}]}
    )
    staff_client.delete("/api/warehouse/items/2/?quantity=10")  # an empty product is no longer counted
    body = staff_client.get("/api/warehouse/").json()
    assert body["product_types"] == {
        "book": {"capacity": 10_000, "used": 30, "reserved": 5, "free": 9_970, "products": 1},
        "clothes": {"capacity": 5_000, "used": 0, "reserved": 0, "free": 5_000, "products": 0},
        "electronics": {"capacity": 2_000, "used": 4, "reserved": 0, "free": 1_996, "products": 1},
    }
    assert body["address"] == ""
    assert body["status"] == "active"


def test_without_a_warehouse_reads_and_writes_are_404(staff_client, api_client, db):
    for response in (
        staff_client.get("/api/warehouse/"),
        staff_client.patch("/api/warehouse/", {"status": "paused"}),
        api_client.get("/api/warehouse/items/1/"),
        staff_client.get("/api/warehouse/capacity/", {"product_id": 1, "quantity": 1}),
    ):
        assert error_of(response, 404)["code"] == "warehouse_not_found"


def test_staff_updates_the_warehouse(staff_client, warehouse):
    body = staff_client.patch(
        "/api/warehouse/",
        {"address": "12 Lý Thường Kiệt", "status": "paused", "book_quantity": 20, "electronic_quantity": 0},
    ).json()
    assert (body["address"], body["status"], body["book_quantity"], body["electronic_quantity"]) == (
        "12 Lý Thường Kiệt",
        "paused",
        20,
        0,
    )
    assert body["product_types"]["book"]["free"] == 20


def test_a_capacity_below_the_stock_is_409_naming_the_field(staff_client, put_stock):
    put_stock(1, 30)
    error = error_of(staff_client.patch("/api/warehouse/", {"book_quantity": 29}), 409)
    assert error["code"] == "capacity_below_stock"
    assert "book_quantity" in error["details"]
    assert error["details"]["used"] == 30


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "open"}, "status"),
        ({"status": ["active"]}, "status"),
        ({"book_quantity": -1}, "book_quantity"),
        ({"book_quantity": "many"}, "book_quantity"),
        ({"clothes_quantity": 10**30}, "clothes_quantity"),
        ({"electronic_quantity": 1.5}, "electronic_quantity"),
        ({"address": "x" * 501}, "address"),
        ({"address": {"street": "x"}}, "address"),
        ({"address": 0}, "address"),  # not taken as "0" (found by Schemathesis)
    ],
)
def test_bad_warehouse_fields_are_400_naming_the_field(staff_client, warehouse, body, field):
    error = error_of(staff_client.patch("/api/warehouse/", body, format="json"), 400)
    assert field in error["details"]
    assert error_of(staff_client.post("/api/warehouse/", body, format="json"), 400)


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "null"])
def test_a_body_that_is_not_a_json_object_is_400(staff_client, warehouse, raw):
    for method in ("POST", "PATCH"):
        response = staff_client.generic(method, "/api/warehouse/", raw, content_type="application/json")
        assert response.status_code == 400, response.content
    response = staff_client.generic("POST", "/api/warehouse/items/", raw, content_type="application/json")
    assert response.status_code == 400


# --- 8.3 add stock --------------------------------------------------------------


def test_staff_adds_stock_of_a_book_that_exists(staff_client, warehouse, book_exists):
    book_exists(12)
    response = staff_client.post("/api/warehouse/items/", {"product_id": 12, "quantity": 5})
    assert response.status_code == 201, response.json()
    assert response.json() | {"updated_at": None} == {
        "product_id": 12,
        "product_type": "book",
        "available": 5,
        "reserved": 0,
        "in_stock": True,
        "updated_at": None,
    }


def test_clothes_and_electronics_are_not_checked_with_book_service(staff_client, warehouse, mocked_responses):
    response = staff_client.post("/api/warehouse/items/", {"product_id": 12, "quantity": 5, "product_type": "clothes"})
    assert response.status_code == 201
    assert len(mocked_responses.calls) == 0


def test_a_book_that_does_not_exist_is_400(staff_client, warehouse, mocked_responses):
    mocked_responses.get(book_url(12), status=404, json={"error": {"code": "not_found"}})
    error = error_of(staff_client.post("/api/warehouse/items/", {"product_id": 12, "quantity": 5}), 400)
    assert "product_id" in error["details"]
    assert not StockItem.objects.exists()


@pytest.mark.parametrize(
    ("fake", "status", "code"),
    [
        ({"body": requests.ConnectionError("refused")}, 503, "service_unavailable"),
        ({"body": requests.ConnectTimeout("slow to connect")}, 503, "service_unavailable"),
        ({"body": requests.ReadTimeout("slow")}, 504, "service_timeout"),
        ({"status": 500, "json": {"error": {}}}, 503, "service_unavailable"),
        ({"status": 200, "body": "<html>not json</html>"}, 503, "service_unavailable"),
        ({"status": 200, "json": [1, 2]}, 503, "service_unavailable"),
        ({"status": 200, "json": {"id": 13}}, 503, "service_unavailable"),
        ({"status": 401, "json": {"error": {}}}, 503, "service_unavailable"),
    ],
)
def test_book_service_down_slow_or_malformed_is_503_or_504_naming_it(
    staff_client, warehouse, mocked_responses, settings, fake, status, code
):
    settings.SERVICE_RETRIES = 0
    mocked_responses.get(book_url(12), **fake)
    error = error_of(staff_client.post("/api/warehouse/items/", {"product_id": 12, "quantity": 5}), status)
    assert error["code"] == code
    assert error["details"] == {"service": "book"}
    assert not StockItem.objects.exists()


def test_adding_beyond_the_free_capacity_is_409(staff_client, put_stock, book_exists):
    staff_client.patch("/api/warehouse/", {"book_quantity": 10})
    put_stock(1, 8)
    book_exists(2)
    error = error_of(staff_client.post("/api/warehouse/items/", {"product_id": 2, "quantity": 3}), 409)
    assert error["code"] == "capacity_exceeded"
    assert error["details"] == {"product_type": "book", "capacity": 10, "free": 2, "requested": 3}


def test_adding_to_a_warehouse_that_is_not_active_is_409(staff_client, warehouse):
    staff_client.patch("/api/warehouse/", {"status": "closed"})
    error = error_of(staff_client.post("/api/warehouse/items/", {"product_id": 2, "quantity": 3}), 409)
    assert error["code"] == "warehouse_not_active"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 1}, "product_id"),
        ({"product_id": "abc", "quantity": 1}, "product_id"),
        ({"product_id": 0, "quantity": 1}, "product_id"),
        ({"product_id": MAX_PRODUCT_ID + 1, "quantity": 1}, "product_id"),
        ({"product_id": None, "quantity": 1}, "product_id"),
        ({"product_id": 1}, "quantity"),
        ({"product_id": 1, "quantity": 0}, "quantity"),
        ({"product_id": 1, "quantity": -3}, "quantity"),
        ({"product_id": 1, "quantity": 10**12}, "quantity"),
        ({"product_id": 1, "quantity": 2.5}, "quantity"),
        ({"product_id": 1, "quantity": [1]}, "quantity"),
        ({"product_id": 1, "quantity": True}, "quantity"),
        ({"product_id": 1, "quantity": 1, "product_type": "food"}, "product_type"),
    ],
)
def test_bad_stock_input_is_400_naming_the_field(staff_client, warehouse, body, field):
    error = error_of(staff_client.post("/api/warehouse/items/", body, format="json"), 400)
    assert field in error["details"]


def test_a_huge_json_number_is_400_not_500(staff_client, warehouse):
    raw = '{"product_id": 1e400, "quantity": 100000000000000000000000000000000000000000}'
    response = staff_client.generic("POST", "/api/warehouse/items/", raw, content_type="application/json")
    assert set(error_of(response, 400)["details"]) == {"product_id", "quantity"}


# --- 8.5 remove stock -----------------------------------------------------------


def test_staff_removes_stock(staff_client, put_stock):
    put_stock(1, 5)
    body = staff_client.delete("/api/warehouse/items/1/?quantity=2").json()
    assert (body["available"], body["in_stock"]) == (3, True)
    body = staff_client.delete("/api/warehouse/items/1/?quantity=3").json()
    assert (body["available"], body["in_stock"]) == (0, False)


def test_removing_more_than_in_stock_is_409(staff_client, put_stock):
    put_stock(1, 5)
    error = error_of(staff_client.delete("/api/warehouse/items/1/?quantity=6"), 409)
    assert error["code"] == "insufficient_stock"
    assert "quantity" in error["details"]
    assert StockItem.objects.get().available == 5


def test_removing_a_product_not_stocked_is_404(staff_client, put_stock):
    put_stock(1, 5)
    assert error_of(staff_client.delete("/api/warehouse/items/2/?quantity=1"), 404)["code"] == "product_not_stocked"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "quantity"),
        ("?quantity=x", "quantity"),
        ("?quantity=0", "quantity"),
        ("?quantity=1&product_type=x", "product_type"),
    ],
)
def test_bad_removal_input_is_400_naming_the_field(staff_client, put_stock, query, field):
    put_stock(1, 5)
    assert field in error_of(staff_client.delete(f"/api/warehouse/items/1/{query}"), 400)["details"]


def test_a_product_id_too_large_for_the_database_is_404(staff_client, api_client, warehouse):
    too_large = 2**63  # one past the largest id a bigint column holds: no route matches it
    assert error_of(api_client.get(f"/api/warehouse/items/{too_large}/"), 404)["code"] == "not_found"
    assert error_of(staff_client.delete(f"/api/warehouse/items/{too_large}/?quantity=1"), 404)["code"] == "not_found"


# --- 8.6 capacity check ------------------------------------------------------------


def test_capacity_check_says_whether_a_quantity_fits(staff_client, put_stock):
    staff_client.patch("/api/warehouse/", {"book_quantity": 10})
    put_stock(1, 7)
    fits = staff_client.get("/api/warehouse/capacity/", {"product_id": 2, "quantity": 3}).json()
    assert fits == {"product_id": 2, "product_type": "book", "requested": 3, "free": 3, "fits": True}
    too_many = staff_client.get("/api/warehouse/capacity/", {"product_id": 2, "quantity": 4}).json()
    assert (too_many["fits"], too_many["free"]) == (False, 3)
    clothes = staff_client.get("/api/warehouse/capacity/", {"product_id": 2, "quantity": 4, "product_type": "clothes"})
    assert clothes.json()["fits"] is True


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"quantity": 1}, "product_id"),
        ({"product_id": 1}, "quantity"),
        ({"product_id": "x", "quantity": 1}, "product_id"),
    ],
)
def test_bad_capacity_check_input_is_400(staff_client, warehouse, query, field):
    assert field in error_of(staff_client.get("/api/warehouse/capacity/", query), 400)["details"]


# --- stock levels ------------------------------------------------------------------


def test_one_products_stock_level(api_client, put_stock):
    put_stock(1, 5)
    body = api_client.get("/api/warehouse/items/1/").json()
    assert (body["product_id"], body["available"], body["reserved"], body["in_stock"]) == (1, 5, 0, True)
    assert error_of(api_client.get("/api/warehouse/items/2/"), 404)["code"] == "product_not_stocked"
    assert (
        error_of(api_client.get("/api/warehouse/items/1/?product_type=clothes"), 404)["code"] == "product_not_stocked"
    )


def test_batch_read_of_stock_levels_in_two_queries(api_client, put_stock, django_assert_num_queries):
    put_stock(1, 5)
    put_stock(2, 1)
    with django_assert_num_queries(2):  # the warehouse, then the items
        body = api_client.get("/api/warehouse/items/", {"ids": "2,1,99"}).json()
    assert [(item["product_id"], item["available"]) for item in body["results"]] == [(1, 5), (2, 1)]
    assert (body["count"], body["missing_ids"]) == (2, [99])


def test_the_ids_of_every_product_in_stock_in_one_answer(api_client, put_stock, service_client):
    put_stock(3, 1)
    put_stock(1, 5)
    put_stock(2, 1)
    put_stock(7, 4, product_type="clothes")
    reserve(service_client, "order-1", (2, 1))  # its last unit held: no longer for sale

    body = api_client.get("/api/warehouse/items/in-stock/").json()
    clothes = api_client.get("/api/warehouse/items/in-stock/", {"product_type": "clothes"}).json()

    assert body == {"product_type": "book", "product_ids": [1, 3]}
    assert clothes["product_ids"] == [7]
    assert (
        "product_type" in error_of(api_client.get("/api/warehouse/items/in-stock/?product_type=food"), 400)["details"]
    )


def test_the_in_stock_ids_without_a_warehouse_are_404(api_client, db):
    assert error_of(api_client.get("/api/warehouse/items/in-stock/"), 404)["code"] == "warehouse_not_found"


@pytest.mark.parametrize(
    "ids", ["", "a,b", ",", "0", str(MAX_PRODUCT_ID + 1), ",".join(str(i) for i in range(1, MAX_BATCH_IDS + 2))]
)
def test_bad_batch_ids_are_400(api_client, warehouse, ids):
    assert "ids" in error_of(api_client.get("/api/warehouse/items/", {"ids": ids}), 400)["details"]


# --- reservations --------------------------------------------------------------------


def reserve(client, reference: str, *items: tuple[int, int]):
    lines = [{"product_id": product_id, "quantity": quantity} for product_id, quantity in items]
    return client.post("/api/warehouse/reservations/", {"reference": reference, "items": lines}, format="json")


def test_a_service_reserves_all_lines_and_a_replay_answers_the_same(service_client, put_stock):
    put_stock(1, 5)
    put_stock(2, 5)
    first = reserve(service_client, "order-17", (1, 2), (2, 5))
    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "held"
    assert first.json()["items"] == [
        {"product_id": 1, "product_type": "book", "quantity": 2},
        {"product_id": 2, "product_type": "book", "quantity": 5},
    ]
    again = reserve(service_client, "order-17", (2, 5), (1, 2))  # the same lines in another order
    assert (again.status_code, again.json()) == (201, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert sorted(StockItem.objects.values_list("available", "reserved")) == [(0, 5), (3, 2)]


def test_a_new_reservation_claims_its_reference_and_answers_without_reading_back(
    service_client, put_stock, django_assert_max_num_queries
):
    put_stock(1, 5)
    put_stock(2, 5)
    # The test's savepoint and its release, the warehouse read FOR SHARE, the reference
    # claimed in one insert, the stock read FOR UPDATE, one conditional update of the
    # lines' items, the lines inserted. Looking the reference up before claiming it, or
    # reading the reservation back for the answer (both done before), goes over.
    with django_assert_max_num_queries(7):
        first = reserve(service_client, "order-18", (1, 2), (2, 1))
    assert first.status_code == 201, first.json()
    later = reserve(service_client, "order-18", (1, 2), (2, 1))  # a replay reads what is stored
    assert later.json() == first.json()


def test_a_reservation_with_a_short_line_is_409_naming_the_lines(service_client, put_stock):
    put_stock(1, 5)
    error = error_of(reserve(service_client, "order-17", (1, 2), (2, 1)), 409)
    assert error["code"] == "insufficient_stock"
    assert error["details"]["items"] == [{"product_id": 2, "product_type": "book", "requested": 1, "available": 0}]
    assert StockItem.objects.get().available == 5


def test_a_reference_with_other_lines_is_409(service_client, put_stock):
    put_stock(1, 5)
    reserve(service_client, "order-17", (1, 2))
    assert error_of(reserve(service_client, "order-17", (1, 1)), 409)["code"] == "reservation_reference_reused"


def test_release_returns_the_stock_and_is_safe_to_repeat(service_client, put_stock):
    put_stock(1, 5)
    reserve(service_client, "order-17", (1, 2))
    for _ in range(2):
        response = service_client.delete("/api/warehouse/reservations/order-17/")
        assert response.status_code == 200
        assert response.json()["status"] == "released"
        assert StockItem.objects.get().available == 5
    assert error_of(reserve(service_client, "order-17", (1, 2)), 409)["code"] == "reservation_released"


def test_a_confirmed_hold_stops_expiring_and_confirming_again_is_the_same(service_client, put_stock):
    put_stock(1, 5)
    held = reserve(service_client, "order-18", (1, 2)).json()
    assert held["expires_at"] is not None
    assert held["confirmed_at"] is None
    for _ in range(2):
        response = service_client.post("/api/warehouse/reservations/order-18/confirm/")
        assert response.status_code == 200
        assert response.json()["status"] == "held"
        assert response.json()["expires_at"] is None
        assert response.json()["confirmed_at"] is not None
    assert error_of(service_client.post("/api/warehouse/reservations/nothing/confirm/"), 404)["code"] == (
        "reservation_not_found"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [{"product_id": 1, "quantity": 1}]}, "reference"),
        ({"reference": "", "items": [{"product_id": 1, "quantity": 1}]}, "reference"),
        ({"reference": "a b", "items": [{"product_id": 1, "quantity": 1}]}, "reference"),
        ({"reference": "x" * 101, "items": [{"product_id": 1, "quantity": 1}]}, "reference"),
        ({"reference": ["r"], "items": [{"product_id": 1, "quantity": 1}]}, "reference"),
        ({"reference": "r"}, "items"),
        ({"reference": "r", "items": []}, "items"),
        ({"reference": "r", "items": {"product_id": 1}}, "items"),
        ({"reference": "r", "items": [{"product_id": 1, "quantity": 0}]}, "items"),
        ({"reference": "r", "items": [{"product_id": "one", "quantity": 1}]}, "items"),
        ({"reference": "r", "items": [1, 2]}, "items"),
        ({"reference": "r", "items": [{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 2}]}, "items"),
        ({"reference": "r", "items": [{"product_id": i, "quantity": 1} for i in range(1, MAX_BATCH_IDS + 2)]}, "items"),
    ],
)
def test_bad_reservation_input_is_400_naming_the_field(service_client, warehouse, body, field):
    response = service_client.post("/api/warehouse/reservations/", body, format="json")
    assert field in error_of(response, 400)["details"]


def test_releasing_with_a_bad_reference_is_400(service_client, warehouse):
    assert "reference" in error_of(service_client.delete(f"/api/warehouse/reservations/{'x' * 101}/"), 400)["details"]


def test_the_openapi_schema_documents_every_route_with_its_body(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert set(paths) == {
        "/api/events/",
        "/api/warehouse/",
        "/api/warehouse/items/",
        "/api/warehouse/items/in-stock/",
        "/api/warehouse/items/{product_id}/",
        "/api/warehouse/capacity/",
        "/api/warehouse/reservations/",
        "/api/warehouse/reservations/{reference}/",
        "/api/warehouse/reservations/{reference}/confirm/",
    }
    assert "requestBody" in paths["/api/warehouse/reservations/"]["post"]
    assert {p["name"] for p in paths["/api/warehouse/items/{product_id}/"]["delete"]["parameters"]} == {
        "product_id",
        "quantity",
        "product_type",
    }
