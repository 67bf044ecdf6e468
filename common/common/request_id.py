"""X-Request-ID: accepted from the caller or made here, returned on the response,
passed on to other services and written in every log line."""

import logging
import random
import re
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest
from django.http.response import HttpResponseBase

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# A caller's id is kept only if it is short and plain, so it is safe in logs and headers.
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    # Not uuid4: its os.urandom is a system call in every request, which lets the server's
    # other threads take the GIL; an id needs to be unique, not secret.
    return f"{random.getrandbits(128):032x}"


def accept_request_id(candidate: str | None) -> str:
    return candidate if candidate and _VALID.match(candidate) else new_request_id()


def take_request_id(request: HttpRequest) -> str:
    """The request's id, the caller's or a new one, kept on the request as `request_id`."""
    request_id = accept_request_id(request.META.get(META_KEY))
    request.request_id = request_id  # type: ignore[attr-defined]  # an attribute of our own on Django's request
    return request_id


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = take_request_id(request)
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True
