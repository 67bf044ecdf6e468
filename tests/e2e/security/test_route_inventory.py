"""API9, improper inventory management: every route of every service, as its OpenAPI
schema lists it, is classified in ROUTE_ACCESS (tests/e2e/security/__init__.py), so a
new route cannot escape the other security checks unclassified; and the gateway's own
list of routes open without a token (gateway/routing/public_routes.py) opens every
route classified public."""

import re

from tests.e2e.security import PEERS, ROUTE_ACCESS


def test_every_route_of_every_service_is_classified(stack, http):
    listed = set()
    for service in PEERS:
        schema = http.get(f"{stack.url(service)}/api/schema/", params={"format": "json"})
        assert schema.status_code == 200, schema.text
        for path, operations in schema.json()["paths"].items():
            listed |= {
                (service, method.upper(), path)
                for method in operations
                if method in ("get", "post", "patch", "put", "delete")
            }
    assert listed == set(ROUTE_ACCESS)


def test_every_public_route_is_open_at_the_gateway(stack, http):
    refused = []
    for (_, method, template), access in sorted(ROUTE_ACCESS.items()):
        if access != "public":
            continue
        response = http.request(method, stack.gateway + re.sub(r"\{\w+\}", "1", template), json={})
        if response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated":
            refused.append(f"{method} {template}")
    assert refused == [], "refused at the gateway without a token: add them to gateway/routing/public_routes.py"
