"""API9, improper inventory management: every route of every service, as its OpenAPI
schema lists it, is classified in ROUTE_ACCESS (tests/e2e/security/__init__.py), so a
new route cannot escape the other security checks unclassified."""

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
