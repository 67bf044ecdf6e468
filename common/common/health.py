"""GET /health/ (the process is up) and GET /ready/ (its database answers)."""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from common.errors import ErrorCode, error_response

logger = logging.getLogger(__name__)


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok", "service": settings.SERVICE_NAME})


def database_ready() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("readiness check: database unavailable", exc_info=True)
        return False
    return True


@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    if not database_ready():
        return error_response(503, ErrorCode.DATABASE_UNAVAILABLE, "The database does not answer.")
    return JsonResponse({"status": "ready", "service": settings.SERVICE_NAME, "database": "ok"})
