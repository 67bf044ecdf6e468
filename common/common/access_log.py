"""One access-log line per request in every service, written by the service itself
(waitress, the server, writes none): method, path, status, milliseconds and the
client's address (common.forwarded), with the request id from the common log format.
The gateway adds the target service and the caller through `request.access_log_extra`.

    ... INFO [<request id>] access: GET /api/books/1/ status=200 ms=2.1 client=203.0.113.7

The path is the client's: its control characters are escaped, so it cannot end the
line and start one of its own (the log formatter does the same for every record).
"""

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from common.log_format import escape_controls

logger = logging.getLogger("access")


class AccessLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        log_access(request, response, started)
        return response


def log_access(request: HttpRequest, response: HttpResponseBase, started: float) -> None:
    """The access line of a request whose middleware below this one began at `started`
    (time.perf_counter)."""
    if logger.isEnabledFor(logging.INFO):
        extra = getattr(request, "access_log_extra", None)
        args = (
            escape_controls(request.method or ""),
            escape_controls(request.path),
            response.status_code,
            (time.perf_counter() - started) * 1000,
            request.META.get("REMOTE_ADDR", "-"),
            "".join(f" {key}={value}" for key, value in extra.items()) if extra is not None else "",
        )
        # The record logger.info would make, with its caller known rather than found by
        # walking the stack (no format prints it), handled as logger.info would: the
        # logger's filters, then every handler up to the root.
        logger.handle(logger.makeRecord(logger.name, logging.INFO, __file__, _LINE, _MESSAGE, args, None, _CALLER))


_MESSAGE = "%s %s status=%s ms=%.1f client=%s%s"
_CALLER = log_access.__name__
_LINE = log_access.__code__.co_firstlineno
