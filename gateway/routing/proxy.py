"""Forwarding one request to a service and its answer back, over kept-alive connections.

This is the gateway's hot path: plain Django, kept-alive connections to each service
(common.connections), no re-encoding of bodies, and no retry except once for an
idempotent request on a kept-alive connection that went stale. Each call is counted by
service and outcome (common.metrics); with tracing on, each is a client span whose W3C
traceparent is sent on (common.telemetry).
"""

import time
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpResponse
from urllib3.exceptions import HTTPError, ReadTimeoutError

from common import telemetry
from common.connections import Answer, ServiceConnections
from common.errors import ErrorCode, error_response
from common.forwarded import PROXY_HEADERS
from common.lazy import PerKey
from common.metrics import outcome_of_status, record_call
from common.request_id import HEADER as REQUEST_ID_HEADER
from routing.breakers import BreakerOpen, breaker_for

# Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection and are not forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "proxy-connection",
    }
)
# What a proxy says about the client is the gateway's to say (upstream_headers).
FORWARDED = frozenset(key.removeprefix("HTTP_").replace("_", "-").lower() for key in PROXY_HEADERS)
# Set by the gateway itself (Host and Content-Length by common.connections).
_NOT_COPIED_IN = HOP_BY_HOP | {"host", "content-length", "x-request-id"} | FORWARDED
_NOT_COPIED_OUT = HOP_BY_HOP | {"content-length", "set-cookie"}  # Set-Cookie: ProxiedResponse
_TRACE_CONTEXT = frozenset({"traceparent", "tracestate"})


pools = PerKey(lambda service: ServiceConnections(settings.SERVICE_URLS[service]))
pool_for = pools.get


@lru_cache(maxsize=512)  # bounded: clients choose header names
def _copied_header(meta_key: str) -> tuple[str, str] | None:
    """The header a META key names, as sent on and lowered, when it may be copied in."""
    if not meta_key.startswith("HTTP_"):
        return None
    name = meta_key[5:].replace("_", "-").title()
    lowered = name.lower()
    return None if lowered in _NOT_COPIED_IN else (name, lowered)


def upstream_headers(request) -> dict[str, str]:
    meta = request.META
    connection = meta.get("HTTP_CONNECTION")
    connection_tokens = {t.strip().lower() for t in connection.split(",")} if connection else set()
    headers = {}
    for key, value in meta.items():
        if (copied := _copied_header(key)) is not None and copied[1] not in connection_tokens:
            headers[copied[0]] = value
    if content_type := meta.get("CONTENT_TYPE"):
        headers["Content-Type"] = content_type
    # The client as the gateway knows it: its socket's peer, or what a proxy in
    # GATEWAY_TRUSTED_PROXIES said (common.forwarded); never what the client wrote.
    headers["X-Forwarded-For"] = meta.get("REMOTE_ADDR", "")
    headers["X-Forwarded-Proto"] = request.scheme
    headers["X-Forwarded-Host"] = request.get_host()
    headers[REQUEST_ID_HEADER] = request.request_id
    return headers


def upstream_target(request) -> str:
    # The path as Django re-quotes it, the query string as it came: the gateway's server
    # (tools/granian_worker.py) does not keep the raw request target.
    return request.get_full_path()


def forward(
    request,
    service: str,
    *,
    body: bytes = b"",
    target: str | None = None,
    headers: Mapping[str, str | None] | None = None,
) -> HttpResponse:
    """The request sent on to the service and its answer. `target`: another path and
    query than the client's; `headers`: set (or, with None, removed) on top of
    upstream_headers, whatever the client sent under those names."""
    answer = send(request, service, body=body, target=target, headers=headers)
    return proxied(answer) if isinstance(answer, Answer) else answer


def send(
    request,
    service: str,
    *,
    body: bytes = b"",
    target: str | None = None,
    headers: Mapping[str, str | None] | None = None,
) -> Answer | HttpResponse:
    """The service's answer as it came (forward), or the gateway's own 503 or 504 when
    there was none."""
    sent = upstream_headers(request)
    if headers:
        replaced = {name.lower() for name in headers}
        sent = {name: value for name, value in sent.items() if name.lower() not in replaced}
        sent.update({name: value for name, value in headers.items() if value is not None})
    started = time.perf_counter()
    try:
        with breaker_for(service).guard():
            answer = _call(service, request.method, target or upstream_target(request), sent, body)
    except BreakerOpen as refused:
        record_call(service, "breaker_open", time.perf_counter() - started)
        response: HttpResponse = error_response(
            503,
            ErrorCode.SERVICE_UNAVAILABLE,
            f"The {service} service is failing; the gateway is not calling it for a moment.",
            {"service": service},
        )
        response["Retry-After"] = str(refused.retry_after)
        return response
    except ReadTimeoutError:
        record_call(service, "timeout", time.perf_counter() - started)
        return error_response(
            504, ErrorCode.SERVICE_TIMEOUT, f"The {service} service did not answer in time.", {"service": service}
        )
    except HTTPError:
        record_call(service, "unavailable", time.perf_counter() - started)
        return error_response(
            503, ErrorCode.SERVICE_UNAVAILABLE, f"The {service} service is unavailable.", {"service": service}
        )
    record_call(service, outcome_of_status(answer.status), time.perf_counter() - started)
    return answer


@cache
def _timeouts() -> dict[str, float]:
    """The timeouts of a call to a service, read of the settings once (again when a test changes them)."""
    return {"connect_timeout": settings.GATEWAY_CONNECT_TIMEOUT, "read_timeout": settings.GATEWAY_READ_TIMEOUT}


def _forget_timeouts(*, setting: str, **kwargs: object) -> None:
    if setting in ("GATEWAY_CONNECT_TIMEOUT", "GATEWAY_READ_TIMEOUT"):
        _timeouts.cache_clear()


setting_changed.connect(_forget_timeouts, dispatch_uid="routing.proxy.timeouts")


def _call(service: str, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
    connections = pool_for(service)
    timeouts = _timeouts()
    if not telemetry.enabled():
        return connections.request(method, target, headers=headers, body=body, **timeouts)
    # A client span, as OpenTelemetry's instrumentations make one, whose traceparent goes on
    # in place of any the client sent (the server span continued that one).
    url = f"{settings.SERVICE_URLS[service]}{target}"
    with telemetry.span(method, kind="client", attributes={"http.method": method, "http.url": url}) as span:
        headers = {name: value for name, value in headers.items() if name.lower() not in _TRACE_CONTEXT}
        headers["traceparent"] = telemetry.current_traceparent()
        answer = connections.request(method, target, headers=headers, body=body, **timeouts)
        span.set_attribute("http.status_code", answer.status)
        telemetry.set_outcome(span, ok=answer.status < 400)
    return answer


def passed_back(answer: Answer) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """The headers of a service's answer as the gateway passes them back, by their
    lowered name, and its Set-Cookie values. A repeated header's values are joined with
    ", " (RFC 9110 5.3), under its first spelling; Content-Type, if the service sent
    one, comes first (where Django's response keeps its own)."""
    copied: dict[str, tuple[str, str]] = {}
    cookies = []
    for name, value in answer.headers:
        lowered = name.lower()
        if lowered in _NOT_COPIED_OUT:
            if lowered == "set-cookie":
                cookies.append(value)
        elif (first := copied.get(lowered)) is not None:
            copied[lowered] = (first[0], f"{first[1]}, {value}")
        else:
            copied[lowered] = (name, value)
    if "content-type" in copied and next(iter(copied)) != "content-type":
        copied = {"content-type": copied.pop("content-type"), **copied}
    return copied, cookies


def proxied(answer: Answer) -> "ProxiedResponse":
    response = ProxiedResponse(answer.body, status=answer.status)
    headers, response.set_cookies = passed_back(answer)
    if "content-type" not in headers:
        del response["Content-Type"]
    for name, value in headers.values():
        response[name] = value
    return response


class ProxiedResponse(HttpResponse):
    """A service's answer as the gateway passes it back, with each of its Set-Cookie
    headers as the service wrote it. Django keeps one value per header name, and
    Set-Cookie headers joined with commas are one broken cookie: the attributes of the
    last (a deleted cookie's Max-Age=0) end up on the first (an admin's CSRF cookie)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_cookies: list[str] = []

    def items(self):  # the headers Django's WSGI handler sends (then response.cookies, the gateway's own)
        return [*super().items(), *(("Set-Cookie", value) for value in self.set_cookies)]
