"""A peer service's answer, as the composite calls need it."""

import requests

from common.errors import ApiError, ErrorCode, ServiceUnavailable


def peer_json(response: requests.Response, *, expected: tuple[int, ...] = (200,)) -> dict:
    """The body of an expected answer; any other answer (a 4xx: the common client
    already raised for 5xx and timeouts) is passed on as the gateway's own error,
    with the peer's status, code, message and details."""
    if response.status_code in expected:
        return response.json()
    raise passed_on(response)


def passed_on(response: requests.Response) -> ApiError:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        error = {}
    exc = ApiError(
        error.get("message") or f"A service answered {response.status_code}.",
        code=error.get("code") or ErrorCode.BAD_REQUEST,
        details=error.get("details"),
    )
    exc.status_code = response.status_code
    return exc


def dependency_error_passed_on(response: requests.Response, *, service: str) -> ApiError:
    """A peer's 503/504 that names the service behind it that failed (checkout's
    cart, inventory or book) is passed on as the peer gave it; one without that
    (the peer itself broken) names the peer."""
    try:
        response.json()["error"]["details"]["service"]
    except (ValueError, KeyError, TypeError):
        return ServiceUnavailable(service, f"The {service} service failed ({response.status_code}).")
    return passed_on(response)
