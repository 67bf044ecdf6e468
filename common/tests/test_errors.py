"""common.errors: every 4xx/5xx of a DRF view, or of Django itself, has the one error shape."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from common.auth import mint_access_token
from common.errors import NotFound, exception_handler
from common.testing.platform_tests import assert_error_shape


@pytest.fixture
def user(user_client):
    return user_client(5)


def test_validation_error_lists_the_fields(user):
    response = user.post("/items/", {"title": "x" * 21, "quantity": 0}, format="json")

    error = assert_error_shape(response, 400, "validation_error")
    assert set(error["details"]) == {"title", "quantity"}
    assert isinstance(error["details"]["quantity"], list)
    assert error["details"]["quantity"]


def test_valid_body_passes(user):
    response = user.post("/items/", {"title": "Dune", "quantity": 2}, format="json")

    assert response.status_code == 201
    assert response.json() == {"title": "Dune", "quantity": 2}


def test_request_id_of_the_error_is_the_callers(user):
    response = user.post("/items/", {}, format="json", HTTP_X_REQUEST_ID="trace-42")

    error = assert_error_shape(response, 400, "validation_error")
    assert error["request_id"] == "trace-42"


def test_conflict_keeps_its_code_and_details(user):
    error = assert_error_shape(user.post("/conflict/"), 409, "already_in_cart")

    assert error["message"] == "The book is already in the cart."
    assert error["details"] == {"book_id": 7}


def test_api_error_without_details_has_no_details_key(user):
    error = assert_error_shape(user.post("/api-error/"), 400, "coupon_not_combinable")

    assert "details" not in error


def test_malformed_json_is_parse_error(user):
    response = user.post("/items/", data='{"title": ', content_type="application/json")

    assert_error_shape(response, 400, "parse_error")


def test_wrong_method_is_method_not_allowed(user):
    response = user.get("/items/")

    error = assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in error["message"]
    assert "POST" in response["Allow"]


def test_no_token_is_not_authenticated(api_client):
    response = api_client.get("/whoami/")

    assert_error_shape(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_django_http404_in_a_drf_view_is_not_found(user):
    assert_error_shape(user.get("/not-found/"), 404, "not_found")


def test_django_permission_denied_in_a_drf_view_is_permission_denied(user):
    assert_error_shape(user.get("/django-permission-denied/"), 403, "permission_denied")


def test_unhandled_exception_is_json_500():
    client = Client(raise_request_exception=False)
    token = mint_access_token(user_id=5, username="user5")

    response = client.get("/boom/", HTTP_AUTHORIZATION=f"Bearer {token}")

    error = assert_error_shape(response, 500, "internal_error")
    assert "a bug" not in error["message"]  # no internals leak to the caller


def test_not_found_keeps_its_code():
    response = exception_handler(NotFound("User 7 has no cart.", code="cart_not_found"), {})

    assert response.status_code == 404
    assert response.data["error"]["code"] == "cart_not_found"
    assert response.data["error"]["message"] == "User 7 has no cart."


@pytest.mark.parametrize(
    "error", [OperationalError("FATAL: sorry, too many clients already"), InterfaceError("closed")]
)
def test_a_database_that_cannot_be_reached_is_503_not_500(error):
    response = exception_handler(error, {})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.data["error"]["code"] == "database_unavailable"
    assert "too many clients" not in response.data["error"]["message"]  # no internals leak
