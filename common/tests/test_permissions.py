"""common.permissions: customers touch only their own data; staff and services any."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import NotFound
from rest_framework_simplejwt.tokens import AccessToken

from common.auth import ClaimsUser, mint_access_token
from common.errors import NotFound as ApiNotFound
from common.permissions import IsOwnerOrStaff, visible_or_404
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

    assert sees(user, cart) is allowed


def sees(user, obj, view=None) -> bool:
    """Whether IsOwnerOrStaff lets the caller have the object; it hides it with a 404 if not."""
    try:
        return IsOwnerOrStaff().has_object_permission(as_request(user), view or SimpleNamespace(), obj)  # type: ignore[arg-type]  # a stand-in view
    except NotFound:
        return False


def test_object_permission_uses_the_views_owner_field():
    view = SimpleNamespace(owner_field="customer_id")
    owner = claims_user(user_id=5, username="ada")

    assert sees(owner, SimpleNamespace(customer_id=5, user_id=6), view)
    assert not sees(owner, SimpleNamespace(customer_id=6, user_id=5), view)


def test_object_without_an_owner_is_staff_only():
    assert not sees(claims_user(user_id=5), SimpleNamespace())
    assert sees(claims_user(user_id=9, is_staff=True), SimpleNamespace())


def test_someone_elses_object_is_the_404_of_a_missing_one():
    with pytest.raises(NotFound) as raised:
        IsOwnerOrStaff().has_object_permission(
            as_request(claims_user(user_id=6)), SimpleNamespace(), SimpleNamespace(user_id=5)
        )

    assert raised.value.detail == NotFound().detail


@pytest.mark.parametrize(
    ("obj", "claims", "visible"),
    [
        pytest.param(SimpleNamespace(user_id=5), {"user_id": 5}, True, id="own"),
        pytest.param(SimpleNamespace(user_id=5), {"user_id": 9, "is_staff": True}, True, id="staff"),
        pytest.param(SimpleNamespace(user_id=5), {"user_id": None, "service": "order"}, True, id="service"),
        pytest.param(SimpleNamespace(user_id=5), {"user_id": 6}, False, id="someone else's"),
        pytest.param(None, {"user_id": 5}, False, id="none"),
    ],
)
def test_visible_or_404_gives_the_same_error_for_someone_elses_and_none(obj, claims, visible):
    missing = ApiNotFound("There is no order 7.", code="unknown_order")

    if visible:
        assert visible_or_404(obj, user=claims_user(**claims), not_found=missing) is obj
    else:
        with pytest.raises(ApiNotFound) as raised:
            visible_or_404(obj, user=claims_user(**claims), not_found=missing)
        assert raised.value is missing
