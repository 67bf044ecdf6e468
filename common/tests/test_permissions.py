"""common.permissions: customers touch only their own data; staff and services any."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.tokens import AccessToken

from common.auth import ClaimsUser, mint_access_token
from common.permissions import IsOwnerOrStaff
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


@pytest.mark.parametrize(
    ("path", "caller", "status"),
    [
        ("/staff-only/", "user", 403),
        ("/staff-only/", "staff", 200),
        ("/staff-only/", "service", 403),
        ("/staff-only/", "anonymous", 401),
        ("/service-only/", "user", 403),
        ("/service-only/", "staff", 403),
        ("/service-only/", "service", 200),
        ("/service-only/", "anonymous", 401),
        ("/staff-or-service/", "user", 403),
        ("/staff-or-service/", "staff", 200),
        ("/staff-or-service/", "service", 200),
        ("/staff-or-service/", "anonymous", 401),
    ],
)
def test_role_permissions(path, caller, status, user_client, staff_client, service_client, api_client):
    clients = {"user": user_client(5), "staff": staff_client, "service": service_client, "anonymous": api_client}

    response = clients[caller].get(path)

    assert response.status_code == status, response.content


def as_request(user):
    return SimpleNamespace(user=user)


def claims_user(**claims):
    return ClaimsUser(AccessToken(mint_access_token(**claims)))


@pytest.mark.parametrize(
    ("claims", "allowed"),
    [
        pytest.param({"user_id": 5}, True, id="owner"),
        pytest.param({"user_id": 6}, False, id="another-user"),
        pytest.param({"user_id": 9, "is_staff": True}, True, id="staff"),
        pytest.param({"user_id": None, "service": "order"}, True, id="service"),
        pytest.param(None, False, id="anonymous"),
    ],
)
def test_object_permission_by_user_id(claims, allowed):
    user = AnonymousUser() if claims is None else claims_user(**claims)
    cart = SimpleNamespace(user_id=5)

    assert IsOwnerOrStaff().has_object_permission(as_request(user), SimpleNamespace(), cart) is allowed


def test_object_permission_uses_the_views_owner_field():
    view = SimpleNamespace(owner_field="customer_id")
    owner = as_request(claims_user(user_id=5, username="ada"))

    assert IsOwnerOrStaff().has_object_permission(owner, view, SimpleNamespace(customer_id=5, user_id=6))
    assert not IsOwnerOrStaff().has_object_permission(owner, view, SimpleNamespace(customer_id=6, user_id=5))


def test_object_without_an_owner_is_staff_only():
    permission = IsOwnerOrStaff()
    obj = SimpleNamespace()

    assert not permission.has_object_permission(as_request(claims_user(user_id=5)), SimpleNamespace(), obj)
    assert permission.has_object_permission(as_request(claims_user(user_id=9, is_staff=True)), SimpleNamespace(), obj)
