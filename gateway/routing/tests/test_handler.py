import threading

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.test import RequestFactory, override_settings

from common.auth import mint_access_token
from routing import handler
from routing.handler import forwarded_resource, gateway_application


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
@pytest.mark.parametrize("headers", [{}, {"HTTP_ORIGIN": "https://shop.example.com"}], ids=["one pass", "chain"])
def test_an_unexpected_error_while_forwarding_is_a_json_500_without_a_traceback(upstream, monkeypatch, headers):
    from conftest import GatewayClient

    def broken(request, resource):
        raise RuntimeError("a bug in the proxy")

    monkeypatch.setattr(handler, "proxy", broken)
    monkeypatch.setattr(handler, "answer_for", broken)
    response = GatewayClient(raise_request_exception=False).get("/api/books/1/", **headers)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert b"Traceback" not in response.content
    assert upstream.seen == []


class SignalsSent:
    def __init__(self):
        self.names = []

    def __enter__(self):
        request_started.connect(self.started)
        request_finished.connect(self.finished)
        return self

    def __exit__(self, *exc_info):
        request_started.disconnect(self.started)
        request_finished.disconnect(self.finished)

    def started(self, **kwargs):
        self.names.append("request_started")

    def finished(self, **kwargs):
        self.names.append("request_finished")


def _call_in_a_new_thread(environ):
    """The gateway's WSGI application called as a server's worker thread would, on a
    thread that has not touched the database."""
    answer = {}

    def serve():
        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers

        chunks = gateway_application(WSGIHandler())(environ, start_response)
        try:
            answer["body"] = b"".join(chunks)
        finally:
            chunks.close()

    worker = threading.Thread(target=serve)
    worker.start()
    worker.join()
    return answer


def test_a_forwarded_request_without_the_database_sends_no_request_signals(upstream):
    environ = RequestFactory()._base_environ(PATH_INFO="/api/books/1/", REQUEST_METHOD="GET", HTTP_X_REQUEST_ID="r-1")
    with SignalsSent() as sent:
        answer = _call_in_a_new_thread(environ)

    assert sent.names == []  # close_old_connections and the rest: nothing for them to do
    assert answer["status"] == "201 Created"
    assert ("X-Request-ID", "r-1") in answer["headers"]
    assert ("X-Frame-Options", "DENY") in answer["headers"]
    assert answer["body"] == b'{"ok": true, "path": "/api/books/1/"}'


@pytest.mark.django_db
def test_a_forwarded_write_counted_in_the_database_sends_them_so_its_connection_is_returned(client, upstream):
    token = mint_access_token(user_id=5, username="user5")
    with SignalsSent() as sent:
        response = client.post(
            "/api/books/", data=b"{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )

    assert response.status_code == 201
    assert sent.names == ["request_started", "request_finished"]


def test_a_thread_is_asked_for_its_database_connections_again_once_it_opened_one(monkeypatch):
    from django.db import connections
    from django.db.backends.signals import connection_created

    class Held:  # a pooled connection lent to the thread
        connection = object()
        alias = "default"
        settings_dict = {"OPTIONS": {"pool": True}}

        def __init__(self):
            self.execute_wrappers = []

    asked = []
    held = []

    def all_connections(initialized_only=False):
        asked.append(initialized_only)
        return held

    monkeypatch.setattr(connections, "all", all_connections)
    seen = []

    def on_a_worker_thread():
        seen.append(handler._holds_database_connection())  # a new thread: asked
        seen.append(handler._holds_database_connection())  # held none since: not asked
        held.append(Held())
        connection_created.send(sender=None, connection=held[0])
        seen.append(handler._holds_database_connection())  # opened one: asked
        seen.append(handler._holds_database_connection())  # may still hold it: asked

    worker = threading.Thread(target=on_a_worker_thread)
    worker.start()
    worker.join()
    assert seen == [False, False, True, True]
    assert asked == [True, True, True]
