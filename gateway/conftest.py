"""The gateway's tests drive its real WSGI entry (routing/handler.py), as a server
would: a forwarded route goes through the forwarding handler's short middleware
chain, everything else through the full Django application."""

import pytest
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse
from django.test import Client

from routing.handler import gateway_application


class GatewayAppHandler:
    """Calls the WSGI application and turns its answer back into an HttpResponse for the
    test client. Like Django's ClientHandler, it keeps the test's database connection
    open (closing it would end the test's transaction)."""

    def __init__(self):
        self.application = gateway_application(WSGIHandler())

    def __call__(self, environ):
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers

        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            chunks = self.application(environ, start_response)
            try:
                body = b"".join(chunks)
            finally:
                chunks.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        response = HttpResponse(body, status=int(answer["status"].split()[0]))
        del response["Content-Type"]
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                response.cookies.load(value)
            else:
                response[name] = value
        response.wsgi_request = WSGIRequest(environ)  # what the test client reads from it
        return response


class GatewayClient(Client):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.handler = GatewayAppHandler()


@pytest.fixture
def client():
    return GatewayClient()
