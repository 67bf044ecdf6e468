from concurrent.futures import ThreadPoolExecutor

import urllib3
from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from urllib3.exceptions import HTTPError

from common.errors import ErrorCode, error_response
from common.request_id import HEADER as REQUEST_ID_HEADER
from common.services import SERVICES
from routing.proxy import forward, pool_for
from routing.routes import ROUTES

_PEERS = [name for name in SERVICES if name != "gateway"]
_probe_executor = ThreadPoolExecutor(max_workers=len(_PEERS), thread_name_prefix="health-probe")


@csrf_exempt
def proxy(request, resource: str):
    service = ROUTES.get(resource)
    if service is None:
        return error_response(404, ErrorCode.NOT_FOUND, f"No route for {request.method} {request.path}.")
    return forward(request, service)


@require_GET
def service_schema(request, service: str):
    if service not in _PEERS:
        return error_response(404, ErrorCode.NOT_FOUND, f"There is no service named {service!r}.")
    return forward(request, service, target="/api/schema/")


def _probe(service: str, request_id: str) -> dict:
    timeout = urllib3.Timeout(total=settings.GATEWAY_HEALTH_TIMEOUT)
    headers = {REQUEST_ID_HEADER: request_id}
    try:
        response = pool_for(service).urlopen("GET", "/ready/", headers=headers, timeout=timeout, redirect=False)
    except HTTPError as exc:
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ready" if response.status == 200 else "not_ready", "http_status": response.status}


@require_GET
def health(request):
    """The gateway is up (always 200); the body reports each service's /ready/."""
    probes = _probe_executor.map(_probe, _PEERS, [request.request_id] * len(_PEERS))
    results = dict(zip(_PEERS, probes, strict=True))
    overall = "ok" if all(r["status"] == "ready" for r in results.values()) else "degraded"
    return JsonResponse({"status": overall, "service": "gateway", "services": results})
