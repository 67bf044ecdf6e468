"""common.permissions: customers touch only their own data; staff and services any."""

from types import SimpleNamespace

import pytest
from rest_framework.exceptions import PermissionDenied

from common.auth import Caller
from common.errors import NotFound as ApiNotFound
from common.permissions import listed_owner, visible_or_404
from common.testing.platform_tests import assert_error_shape


def test_owner_reaches_their_own_route(user_client):
    response = user_client(5).get("/carts/5/")

    assert response.status_code == 200
    assert response.json() == {"user_id": 5}


def test_another_user_is_forbidden(user_client):
    error = assert_error_shape(user_client(6).get("/carts/5/"), 403, "permission_denied")

    assert error["message"] == "This belongs to another user."


def test_staff_reaches_any_users_route(staff_client):
    assert staff_client.get("/carts/5/").status_code == 200


def test_service_reaches_any_users_route(service_client):
    assert service_client.get("/carts/5/").status_code == 200


def test_anonymous_is_401_on_an_owned_route(api_client):
    assert_error_shape(api_client.get("/carts/5/"), 401, "not_authenticated")


# The answer of a route to a user, staff, a service and no one, in that order.
ROLE_ANSWERS = {
    "/staff-only/": (403, 200, 403, 401),
    "/service-only/": (403, 403, 200, 401),
    "/staff-or-service/": (403, 200, 200, 401),
}


@pytest.mark.parametrize("path", ROLE_ANSWERS)
def test_role_permissions(path, user_client, staff_client, service_client, api_client):
    callers = (user_client(5), staff_client, service_client, api_client)

    assert tuple(client.get(path).status_code for client in callers) == ROLE_ANSWERS[path]


def caller(user_id=None, is_staff=False, service=None) -> Caller:
    return Caller(user_id=user_id, is_staff=is_staff, service=service)


def test_a_caller_sees_their_own_and_privileged_callers_anyones():
    assert caller(5).may_see(5)
    assert not caller(6).may_see(5)
    assert caller(9, is_staff=True).may_see(5)
    assert caller(service="order").may_see(5)


def test_an_object_without_an_owner_is_for_staff_and_services_only():
    assert not caller(5).may_see(None)
    assert caller(9, is_staff=True).may_see(None)


@pytest.mark.parametrize(
    ("who", "asked", "listed"),
    [
        pytest.param(caller(5), None, 5, id="customer-their-own-by-default"),
        pytest.param(caller(5), 5, 5, id="customer-naming-themselves"),
        pytest.param(caller(9, is_staff=True), None, None, id="staff-everyone"),
        pytest.param(caller(9, is_staff=True), 5, 5, id="staff-naming-one"),
        pytest.param(caller(service="order"), 5, 5, id="service-naming-one"),
    ],
)
def test_listed_owner(who, asked, listed):
    assert listed_owner(who, asked, what="orders") == listed


def test_a_customer_listing_someone_elses_is_a_403():
    with pytest.raises(PermissionDenied) as raised:
        listed_owner(caller(6), 5, what="orders")

    assert "your own orders" in str(raised.value.detail)


@pytest.mark.parametrize(
    ("obj", "who", "visible"),
    [
        pytest.param(SimpleNamespace(user_id=5), caller(5), True, id="own"),
        pytest.param(SimpleNamespace(user_id=5), caller(9, is_staff=True), True, id="staff"),
        pytest.param(SimpleNamespace(user_id=5), caller(service="order"), True, id="service"),
        pytest.param(SimpleNamespace(user_id=5), caller(6), False, id="someone else's"),
        pytest.param(None, caller(5), False, id="none"),
        pytest.param(SimpleNamespace(customer_id=6, user_id=5), caller(5), False, id="owner-field-not-user-id"),
    ],
)
def test_visible_or_404_gives_the_same_error_for_someone_elses_and_none(obj, who, visible):
    missing = ApiNotFound("There is no order 7.", code="unknown_order")
    owner_field = "customer_id" if obj is not None and hasattr(obj, "customer_id") else "user_id"

    if visible:
        assert visible_or_404(obj, caller=who, not_found=missing, owner_field=owner_field) is obj
    else:
        with pytest.raises(ApiNotFound) as raised:
            visible_or_404(obj, caller=who, not_found=missing, owner_field=owner_field)
        assert raised.value is missing
