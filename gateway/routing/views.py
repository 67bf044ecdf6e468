from typing import Any

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from common.connections import Answer
from common.errors import ErrorCode, error_response
from routing import rate_limits
from routing.edge_auth import EdgeAuthError, edge_user
from routing.probes import PEERS, probe_all
from routing.proxy import forward, proxied, send
from routing.routes import ROUTES


class BodyTooLarge(Exception):
    pass


def _read_body(request) -> bytes:
    """The request body, refusing one over GATEWAY_MAX_BODY_BYTES before reading it (by
    its Content-Length). A chunked body has one too: the server reads it and sets it
    (tools/granian_worker.py, as waitress does)."""
    limit = settings.GATEWAY_MAX_BODY_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = request.read(limit + 1)
    if len(body) > limit:
        raise BodyTooLarge
    return body


@csrf_exempt
def proxy(request, resource: str):
    """Route /api/<resource>/... to its service (answer_for)."""
    answer = answer_for(request, resource)
    return proxied(answer) if isinstance(answer, Answer) else answer


def answer_for(request, resource: str) -> Answer | HttpResponse:
    """The service's answer to /api/<resource>/..., or the gateway's own refusal: edge
    auth, rate limits and the body size limit first, so a refused request never reaches
    a service. Sets what the access log adds (service, user)."""
    service = ROUTES.get(resource)
    user = None
    answer: Answer | HttpResponse
    try:
        if service is None:
            answer = error_response(404, ErrorCode.NOT_FOUND, f"No route for {request.method} {request.path}.")
        else:
            body = _read_body(request)
            user = edge_user(request)
            refusal = rate_limits.check(request, user)
            answer = rate_limits.refusal_response(refusal) if refusal else send(request, service, body=body)
    except BodyTooLarge:
        limit = settings.GATEWAY_MAX_BODY_BYTES
        answer = error_response(
            413, ErrorCode.PAYLOAD_TOO_LARGE, f"The request body is over {limit} bytes.", {"max_bytes": limit}
        )
    except EdgeAuthError as refused:
        answer = refused.response
    request.access_log_extra = {"service": service or "-", "user": _caller(user)}
    return answer


def _caller(user) -> str:
    if user is None:
        return "-"
    return f"service:{user.service}" if user.is_service else str(getattr(user, "id", None) or "-")


@require_GET
def service_schema(request, service: str):
    if service not in PEERS:
        return error_response(404, ErrorCode.NOT_FOUND, f"There is no service named {service!r}.")
    return forward(request, service, target="/api/schema/")


@require_GET
def health(request):
    """Every service's /ready/, probed in parallel: 200 when all are ready, else 503
    naming the ones that are not."""
    results = probe_all(request.request_id)
    not_ready = [name for name, result in results.items() if result["status"] != "ready"]
    body: dict[str, Any] = {"status": "degraded" if not_ready else "ok", "service": "gateway", "services": results}
    if not_ready:
        body["not_ready"] = not_ready
    return JsonResponse(body, status=503 if not_ready else 200)
