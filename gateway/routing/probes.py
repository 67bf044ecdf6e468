"""Every service's /ready/, probed in parallel: for the gateway's /health/ and the back
office's home page (backoffice.views.home)."""

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from urllib3.exceptions import HTTPError

from common.registry import SERVICES
from common.request_id import HEADER as REQUEST_ID_HEADER
from routing.proxy import pool_for

# The services behind the gateway, in the registry's order.
PEERS = [name for name in SERVICES if name != "gateway"]
_probe_executor = ThreadPoolExecutor(max_workers=len(PEERS), thread_name_prefix="health-probe")


def probe(service: str, request_id: str) -> dict[str, Any]:
    """{"status": "ready" | "not_ready" | "down", "latency_ms": ...} of one service,
    given GATEWAY_HEALTH_TIMEOUT to connect and as long to answer."""
    timeout = settings.GATEWAY_HEALTH_TIMEOUT
    headers = {REQUEST_ID_HEADER: request_id}
    started = time.perf_counter()
    try:
        response = pool_for(service).request(
            "GET", "/ready/", headers=headers, connect_timeout=timeout, read_timeout=timeout
        )
    except HTTPError as exc:
        result: dict[str, Any] = {"status": "down", "error": type(exc).__name__}
    else:
        result = {"status": "ready" if response.status == 200 else "not_ready", "http_status": response.status}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def probe_all(request_id: str) -> dict[str, dict[str, Any]]:
    """Every peer's probe, in parallel, by name."""
    probes = _probe_executor.map(probe, PEERS, [request_id] * len(PEERS))
    return dict(zip(PEERS, probes, strict=True))
