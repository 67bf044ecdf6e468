"""One error shape for every 4xx/5xx of every service and the gateway:

    {"error": {"code": "validation_error", "message": "...",
               "details": {"price": ["..."]}, "request_id": "..."}}

`code` is a stable snake_case value clients can branch on; `details` is only
present when there is something per field (or per dependency) to say.
"""

import logging
from enum import StrEnum
from typing import Any, cast

from django import db
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.request_id import current_request_id

logger = logging.getLogger(__name__)


class ErrorCode(StrEnum):
    BAD_REQUEST = "bad_request"
    VALIDATION_ERROR = "validation_error"
    PARSE_ERROR = "parse_error"
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    TOKEN_NOT_VALID = "token_not_valid"  # noqa: S105 (simplejwt's code: expired, badly signed or malformed)
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    LENGTH_REQUIRED = "length_required"  # the gateway's server: a chunked body (tools/granian_worker.py)
    HEADER_TOO_LARGE = "header_too_large"
    CONFLICT = "conflict"
    THROTTLED = "throttled"
    INTERNAL_ERROR = "internal_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    SERVICE_TIMEOUT = "service_timeout"
    DATABASE_UNAVAILABLE = "database_unavailable"


class ApiError(exceptions.APIException):
    """Base of the errors services raise on purpose; subclasses fix status and code."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = ErrorCode.BAD_REQUEST

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(detail=message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = ErrorCode.CONFLICT


class NotFound(ApiError):
    """A 404 with a code of its domain (DRF's NotFound has only the generic one)."""

    status_code = status.HTTP_404_NOT_FOUND
    code = ErrorCode.NOT_FOUND


class PayloadTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = ErrorCode.PAYLOAD_TOO_LARGE


class DependencyError(ApiError):
    """Another service could not answer; `details.service` names it."""

    status_code: int = status.HTTP_503_SERVICE_UNAVAILABLE
    code = ErrorCode.SERVICE_UNAVAILABLE

    def __init__(self, service: str, message: str):
        super().__init__(message, details={"service": service})
        self.service = service


class ServiceUnavailable(DependencyError):
    pass


class ServiceTimeout(DependencyError):
    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    code = ErrorCode.SERVICE_TIMEOUT


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": str(code), "message": message}
    if details:
        error["details"] = details
    error["request_id"] = current_request_id.get()
    return {"error": error}


def error_response(status_code: int, code: str, message: str, details: Any = None) -> JsonResponse:
    """The error shape outside DRF views (health checks, the gateway, Django's handlers)."""
    return JsonResponse(error_body(code, message, details), status=status_code)


def _message(detail: Any) -> str:
    if isinstance(detail, dict):  # simplejwt puts its message under "detail"
        return str(detail.get("detail") or detail)
    if isinstance(detail, list):
        return " ".join(str(item) for item in detail)
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: DRF decides status and headers (WWW-Authenticate,
    Retry-After); this rewrites the body into the common shape. Anything that is
    not an API exception goes on to Django's handler500 (logged, JSON 500)."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = PayloadTooLarge(f"The request body is over {limit} bytes.", details={"max_bytes": limit})
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, (db.OperationalError, db.InterfaceError)):
        # The database cannot be reached or refuses connections (down, restarting, out of
        # connection slots): a dependency down, like any other, not a bug.
        logger.warning("database unavailable: %s", exc)
        return Response(
            error_body(ErrorCode.DATABASE_UNAVAILABLE, "The service's database is unavailable; try again shortly."),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        body = error_body(exc.code, exc.message, exc.details)
    elif isinstance(exc, exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = error_body(ErrorCode.VALIDATION_ERROR, "The request has invalid fields.", details)
    else:  # DRF answers only its own exceptions
        api_exception = cast(exceptions.APIException, exc)
        body = error_body(api_exception.default_code, _message(api_exception.detail))
    response.data = body
    return response


def _is_html_page(request: HttpRequest) -> bool:
    # Admin pages keep Django's HTML error pages; everything else is an API.
    return request.path.startswith("/admin/")


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_html_page(request):
        return defaults.bad_request(request, exception)
    return error_response(400, ErrorCode.BAD_REQUEST, "Bad request.")


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_html_page(request):
        return defaults.permission_denied(request, exception)
    return error_response(403, ErrorCode.PERMISSION_DENIED, "You do not have permission to do this.")


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_html_page(request):
        return defaults.page_not_found(request, exception)
    return error_response(404, ErrorCode.NOT_FOUND, f"No route for {request.method} {request.path}.")


def handler500(request: HttpRequest) -> HttpResponse:
    if _is_html_page(request):
        return defaults.server_error(request)
    return error_response(500, ErrorCode.INTERNAL_ERROR, "Internal server error; the request id is in the logs.")


def no_such(model: type[models.Model], pk: object, *, field: str) -> exceptions.ValidationError:
    """The 400 for an id in a body naming nothing the caller may use (missing, or someone
    else's: the same answer, so ids cannot be probed), under the field that named it."""
    return exceptions.ValidationError({field: [f"There is no {model._meta.verbose_name} with id {pk}."]})
