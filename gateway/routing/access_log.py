"""One line per proxied request: method, path, target service, status, latency and
caller (the request id is added by the common log format)."""

import logging
import time

logger = logging.getLogger("gateway.access")


def log_request(request, *, service: str | None, status: int, started: float, user) -> None:
    user_id = getattr(user, "id", None) if user is not None else None
    caller = f"service:{user.service}" if user is not None and user.is_service else (user_id or "-")
    logger.info(
        "%s %s service=%s status=%s ms=%.1f user=%s",
        request.method,
        request.path,
        service or "-",
        status,
        (time.perf_counter() - started) * 1000,
        caller,
    )
