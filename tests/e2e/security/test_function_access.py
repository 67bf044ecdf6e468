"""API5, broken function-level authorization: a customer calling a staff-only or
service-only route (every one ROUTE_ACCESS lists), or taking a staff action on a route
customers may use, is 403; staff still may."""

import pytest

from tests.e2e.security import ROUTE_ACCESS, fill, path_ids

STAFF_ROUTES = sorted(key for key, access in ROUTE_ACCESS.items() if access in ("staff", "service"))
# Staff-only actions on routes customers may otherwise use.
STAFF_ACTIONS = [
    ("order", "PATCH", "/api/orders/{order_id}/", {"status": "paid"}),
    ("order", "PATCH", "/api/orders/{order_id}/", {"status": "shipped"}),
    ("order", "GET", "/api/orders/?user_id={other_user_id}", None),
    ("payment", "GET", "/api/payments/?user_id={other_user_id}", None),
    ("notification", "GET", "/api/notifications/?user_id={other_user_id}", None),
]


@pytest.mark.parametrize(("service", "method", "template"), STAFF_ROUTES, ids=[f"{m} {p}" for _, m, p in STAFF_ROUTES])
def test_a_customer_calling_a_staff_or_service_route_is_403(stack, http, shop, ann, service, method, template):
    path = fill(template, path_ids(shop, ann))
    # The gateway routes no /api/events/: services post events to each other directly.
    base = stack.url(service) if path == "/api/events/" else stack.gateway
    body = {"product_id": shop["book"]["id"], "quantity": 1, "name": "x", "items": [], "reference": "probe"}

    response = http.request(method, f"{base}{path}", json=body, headers=ann["headers"])

    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(("service", "method", "template", "body"), STAFF_ACTIONS, ids=lambda v: str(v))
def test_a_customer_taking_a_staff_action_is_403(stack, http, shop, ann, service, method, template, body):
    response = http.request(
        method, f"{stack.gateway}{fill(template, path_ids(shop, ann))}", json=body, headers=ann["headers"]
    )
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "permission_denied"


def test_the_staff_routes_still_work_for_staff(stack, http, shop):
    """The 403s above are about who calls, not about a route that refuses everyone."""
    assert http.get(f"{stack.gateway}/api/warehouse/", headers=shop["staff"]).status_code == 200
    assert http.get(f"{stack.gateway}/api/customers/", headers=shop["staff"]).status_code == 200
