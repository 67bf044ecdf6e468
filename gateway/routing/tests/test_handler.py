import pytest
from django.test import override_settings

from routing import handler
from routing.handler import forwarded_resource


@pytest.mark.parametrize(
    ("path", "resource"),
    [
        ("/api/books/1/", "books"),
        ("/api/books", "books"),
        ("/api/warehouse/items/3/", "warehouse"),
        ("/api/me/", None),  # the gateway's own composite call
        ("/api/checkout/", None),
        ("/api/schema/book/", None),
        ("/api/docs/", None),
        ("/api/no-such-thing/", None),  # Django answers: a JSON 404
        ("/api/booksx/", None),
        ("/health/", None),
        ("/admin/", None),
    ],
)
def test_which_paths_are_forwarded(path, resource):
    assert forwarded_resource(path) == resource


def test_the_forwarding_chain_is_the_projects_less_the_admins(client, upstream):
    # Only the admin's middleware is left out: the security headers still reach an
    # answer the gateway makes itself...
    response = client.get("/api/orders/")
    assert response.status_code == 401
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Length"] == str(len(response.content))
    # ...and no session cookie or CSRF check comes near a forwarded request.
    response = client.post("/api/books/", data=b"{}", content_type="application/json", HTTP_COOKIE="sessionid=x")
    assert response.status_code == 401
    assert "Set-Cookie" not in response
    assert "Cookie" not in response.get("Vary", "")


@override_settings(DEBUG=False)
def test_an_unexpected_error_while_forwarding_is_a_json_500_without_a_traceback(upstream, monkeypatch):
    from conftest import GatewayClient

    def broken(request, resource):
        raise RuntimeError("a bug in the proxy")

    monkeypatch.setattr(handler, "proxy", broken)
    response = GatewayClient(raise_request_exception=False).get("/api/books/1/")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert b"Traceback" not in response.content
    assert upstream.seen == []
