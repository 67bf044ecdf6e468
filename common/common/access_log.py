"""One access-log line per request in every service, written by the service itself
(waitress, the server, writes none): method, path, status and milliseconds, with the
request id from the common log format. The gateway adds the target service and the
caller through `request.access_log_extra`.

    ... INFO [<request id>] access: GET /api/books/1/ status=200 ms=2.1
"""

import logging
import time

logger = logging.getLogger("access")


class AccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if logger.isEnabledFor(logging.INFO):
            extra = getattr(request, "access_log_extra", {})
            logger.info(
                "%s %s status=%s ms=%.1f%s",
                request.method,
                request.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
                "".join(f" {key}={value}" for key, value in extra.items()),
            )
        return response
