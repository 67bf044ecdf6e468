"""The cart routes: status codes, bodies, ownership, and bad input of every kind."""

import pytest

from carts import services
from carts.models import Cart, CartItem
from carts.tests.conftest import book
from common.testing.platform_tests import assert_error_shape

pytestmark = pytest.mark.django_db

OWNER = 7


@pytest.fixture
def owner(user_client):
    return user_client(OWNER)


@pytest.fixture
def cart():
    cart, _ = services.cart_create(user_id=OWNER)
    CartItem.objects.create(cart=cart, product_id=1, quantity=2)
    CartItem.objects.create(cart=cart, product_id=2, quantity=1)
    return cart


# 5.1 create


def test_a_customer_creates_their_cart_once(owner):
    created = owner.post("/api/carts/", {"user_id": OWNER})
    again = owner.post("/api/carts/", {"user_id": OWNER})

    assert created.status_code == 201, created.json()
    assert again.status_code == 200
    assert again.json()["id"] == created.json()["id"]
    assert created.json()["user_id"] == OWNER
    assert Cart.objects.count() == 1


@pytest.mark.parametrize("caller", ["staff_client", "service_client"])
def test_staff_and_services_create_any_users_cart(request, caller):
    response = request.getfixturevalue(caller).post("/api/carts/", {"user_id": 42})
    assert response.status_code == 201
    assert response.json()["user_id"] == 42


def test_a_customer_cannot_create_someone_elses_cart(owner):
    assert_error_shape(owner.post("/api/carts/", {"user_id": 8}), 403, "permission_denied")
    assert not Cart.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"user_id": None}, {"user_id": 0}, {"user_id": "x"}, {"user_id": 2**63}, {"user_id": [1]}]
)
def test_bad_user_id_is_400_naming_it(staff_client, body):
    error = assert_error_shape(staff_client.post("/api/carts/", body, format="json"), 400, "validation_error")
    assert "user_id" in error["details"]


# 5.2 add


def test_the_owner_adds_a_book_then_more_of_it(owner, book_service):
    book_service.has(book(5))
    book_service.has(book(5))

    first = owner.post(f"/api/carts/{OWNER}/items/", {"product_id": 5, "quantity": 2})
    more = owner.post(f"/api/carts/{OWNER}/items/", {"product_id": 5})

    assert first.status_code == 201, first.json()
    assert (first.json()["product_id"], first.json()["quantity"]) == (5, 2)
    assert more.status_code == 200
    assert more.json()["quantity"] == 3  # quantity defaults to 1


def test_an_unknown_book_is_400_naming_product_id(owner, book_service):
    book_service.has(asked=[404])

    error = assert_error_shape(
        owner.post(f"/api/carts/{OWNER}/items/", {"product_id": 404, "quantity": 1}), 400, "unknown_product"
    )
    assert "product_id" in error["details"]


def test_book_service_down_is_503_naming_it(owner, book_service):
    book_service.is_down([5])

    error = assert_error_shape(
        owner.post(f"/api/carts/{OWNER}/items/", {"product_id": 5, "quantity": 1}), 503, "service_unavailable"
    )
    assert error["details"] == {"service": "book"}
    assert not CartItem.objects.exists()


def test_passing_999_in_a_line_is_409(owner, cart, book_service):
    book_service.has(book(1), book(2))  # the cart's prices come with the book's, for the total's limit

    error = assert_error_shape(
        owner.post(f"/api/carts/{OWNER}/items/", {"product_id": 1, "quantity": 998}), 409, "line_quantity_limit"
    )
    assert error["details"]["in_cart"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 1}, "product_id"),
        ({"product_id": "abc"}, "product_id"),
        ({"product_id": 0}, "product_id"),
        ({"product_id": 2**63}, "product_id"),
        ({"product_id": 10**400}, "product_id"),
        ({"product_id": 1.5}, "product_id"),
        ({"product_id": True}, "product_id"),
        ({"product_id": {"id": 1}}, "product_id"),
        ({"product_id": 1, "quantity": 0}, "quantity"),
        ({"product_id": 1, "quantity": -3}, "quantity"),
        ({"product_id": 1, "quantity": 1000}, "quantity"),
        ({"product_id": 1, "quantity": 2.5}, "quantity"),
        ({"product_id": 1, "quantity": "many"}, "quantity"),
        ({"product_id": 1, "quantity": None}, "quantity"),
    ],
)
def test_bad_item_input_is_400_naming_the_field(owner, body, field):
    # No book_service call is registered: bad input never reaches it.
    response = owner.post(f"/api/carts/{OWNER}/items/", body, format="json")
    error = assert_error_shape(response, 400, "validation_error")
    assert field in error["details"]


@pytest.mark.parametrize(
    ("payload", "code"), [("{not json", "parse_error"), ("[1, 2]", "validation_error"), ('"text"', "validation_error")]
)
def test_a_body_that_is_not_a_json_object_is_400(owner, payload, code):
    response = owner.generic("POST", f"/api/carts/{OWNER}/items/", payload, content_type="application/json")
    assert_error_shape(response, 400, code)


def test_a_body_that_is_not_json_at_all_is_415(owner):
    response = owner.generic("POST", f"/api/carts/{OWNER}/items/", "product_id=1", content_type="text/plain")
    assert_error_shape(response, 415, "unsupported_media_type")


# 5.3 remove


def test_removing_some_then_the_rest(owner, cart):
    some = owner.delete(f"/api/carts/{OWNER}/items/1/?quantity=1")
    rest = owner.delete(f"/api/carts/{OWNER}/items/1/")

    assert some.status_code == 200
    assert some.json()["quantity"] == 1
    assert rest.status_code == 204
    assert list(cart.items.values_list("product_id", flat=True)) == [2]


def test_removing_more_than_there_is_removes_the_line(owner, cart):
    assert owner.delete(f"/api/carts/{OWNER}/items/1/?quantity=50").status_code == 204


def test_removing_a_product_not_in_the_cart_is_404(owner, cart):
    assert_error_shape(owner.delete(f"/api/carts/{OWNER}/items/3/"), 404, "cart_item_not_found")


@pytest.mark.parametrize("quantity", ["0", "-1", "abc", "1.5", ""])
def test_a_bad_quantity_to_remove_is_400_naming_it(owner, cart, quantity):
    response = owner.delete(f"/api/carts/{OWNER}/items/1/?quantity={quantity}")
    assert "quantity" in assert_error_shape(response, 400, "validation_error")["details"]
    assert cart.items.get(product_id=1).quantity == 2


# 5.4 view


def test_the_owner_views_the_cart_with_details_and_totals(owner, cart, book_service):
    book_service.has(book(1, "Lão Hạc", "12.50"), asked=[1, 2])  # book 2 was deleted

    body = owner.get(f"/api/carts/{OWNER}/").json()

    assert body["user_id"] == OWNER
    assert body["details_available"] is True
    assert body["items"] == [
        {
            "product_id": 1,
            "quantity": 2,
            "title": "Lão Hạc",
            "unit_price": "12.50",
            "line_total": "25.00",
            "available": True,
        },
        {"product_id": 2, "quantity": 1, "title": None, "unit_price": None, "line_total": None, "available": False},
    ]
    assert (body["total_quantity"], body["total_price"]) == (3, "25.00")


def test_the_view_answers_without_details_when_book_service_is_down(owner, cart, book_service):
    book_service.is_down([1, 2])

    response = owner.get(f"/api/carts/{OWNER}/")

    assert response.status_code == 200
    body = response.json()
    assert body["details_available"] is False
    shown = [(item["product_id"], item["available"], item["unit_price"]) for item in body["items"]]
    assert shown == [(1, None, None), (2, None, None)]
    assert (body["total_quantity"], body["total_price"]) == (3, None)


def test_big_totals_keep_two_places(owner, book_service):
    cart, _ = services.cart_create(user_id=OWNER)
    CartItem.objects.bulk_create(CartItem(cart=cart, product_id=i, quantity=999) for i in range(1, 101))
    book_service.has(*(book(i, price="99999999.99") for i in range(1, 101)))

    body = owner.get(f"/api/carts/{OWNER}/").json()

    assert body["items"][0]["line_total"] == "99899999990.01"
    assert body["total_price"] == "9989999999001.00"


def test_a_user_without_a_cart_is_404(owner):
    assert_error_shape(owner.get(f"/api/carts/{OWNER}/"), 404, "cart_not_found")


# 5.5 clear


def test_the_owner_clears_the_cart(owner, cart):
    assert owner.delete(f"/api/carts/{OWNER}/items/").status_code == 204
    assert not cart.items.exists()


# Ownership, authentication and ids


ROUTES = [
    ("get", f"/api/carts/{OWNER}/"),
    ("post", f"/api/carts/{OWNER}/items/"),
    ("delete", f"/api/carts/{OWNER}/items/"),
    ("delete", f"/api/carts/{OWNER}/items/1/"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_someone_elses_cart_is_403_and_unchanged(user_client, cart, method, path):
    response = getattr(user_client(8), method)(path, {"product_id": 1, "quantity": 1} if method == "post" else None)
    assert_error_shape(response, 403, "permission_denied")
    assert dict(cart.items.values_list("product_id", "quantity")) == {1: 2, 2: 1}


@pytest.mark.parametrize(("method", "path"), [*ROUTES, ("post", "/api/carts/")])
def test_no_token_is_401(api_client, cart, method, path):
    assert_error_shape(getattr(api_client, method)(path), 401, "not_authenticated")


def test_a_bad_token_is_401(api_client, cart):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    assert_error_shape(api_client.get(f"/api/carts/{OWNER}/"), 401, "token_not_valid")


@pytest.mark.parametrize("caller", ["staff_client", "service_client"])
def test_staff_and_services_act_on_any_cart(request, cart, book_service, caller):
    client = request.getfixturevalue(caller)
    book_service.has(book(1), book(2))

    assert client.get(f"/api/carts/{OWNER}/").json()["total_quantity"] == 3
    assert client.delete(f"/api/carts/{OWNER}/items/2/").status_code == 204
    assert client.delete(f"/api/carts/{OWNER}/items/").status_code == 204


@pytest.mark.parametrize(
    "path",
    [
        "/api/carts/0/",
        "/api/carts/-1/",
        "/api/carts/abc/",
        f"/api/carts/{2**63}/",
        f"/api/carts/{10**40}/items/",
        f"/api/carts/{OWNER}/items/{2**64}/",
    ],
)
def test_ids_that_cannot_exist_are_404(staff_client, path):
    assert_error_shape(staff_client.get(path), 404, "not_found")


def test_the_schema_names_every_cart_operation(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = {op["operationId"] for methods in schema["paths"].values() for op in methods.values()}
    assert {"cart_create", "cart_detail", "cart_item_add", "cart_item_remove", "cart_clear"} <= operations
