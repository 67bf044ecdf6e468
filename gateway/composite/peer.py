"""A peer service's answer, as the composite calls need it."""

from typing import Any

import requests

from common.errors import ApiError, ErrorCode, ServiceUnavailable
from common.http import peer_body


def peer_json(response: requests.Response, *, service: str, shape: Any, expected: tuple[int, ...] = (200,)) -> Any:
    """The body of an expected answer, if it has the contract's `shape` (else the peer
    is unavailable: 503 naming it); a 4xx (the common client already raised for 5xx
    and timeouts) is passed on as the gateway's own error, with the peer's status,
    code, message and details; any other status is the peer being unavailable."""
    if response.status_code in expected:
        return peer_body(response, service=service, shape=shape)
    if 400 <= response.status_code < 500:
        raise passed_on(response)
    raise ServiceUnavailable(service, f"The {service} service answered {response.status_code} unexpectedly.")


def passed_on(response: requests.Response) -> ApiError:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError, RecursionError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    message, code = error.get("message"), error.get("code")
    exc = ApiError(
        message if isinstance(message, str) and message else f"A service answered {response.status_code}.",
        code=code if isinstance(code, str) and code else ErrorCode.BAD_REQUEST,
        details=error.get("details"),
    )
    exc.status_code = response.status_code
    return exc


def dependency_error_passed_on(response: requests.Response, *, service: str) -> ApiError:
    """A peer's 503/504 that names the service behind it that failed (checkout's
    cart, inventory or book) is passed on as the peer gave it; one without that
    (the peer itself broken) names the peer."""
    try:
        named = response.json()["error"]["details"]["service"]
    except (ValueError, KeyError, TypeError, RecursionError):
        named = None
    if not isinstance(named, str):
        return ServiceUnavailable(service, f"The {service} service failed ({response.status_code}).")
    return passed_on(response)
