"""Edge auth: a route that needs a token is refused at the gateway when the token
is missing, expired or forged, with the same 401 a service would give, so a bad
request never costs a service call. The token is verified statelessly, exactly as
the services do (common.auth.ClaimsAuthentication: common JWT settings, each distinct
token's signature once per process; the gateway records no revocations), and then passed
on unchanged."""

from typing import cast

from django.http import HttpResponse
from rest_framework import exceptions

from common.auth import ClaimsAuthentication, ClaimsUser
from common.errors import ErrorCode, error_response
from routing.public_routes import is_public

_authentication = ClaimsAuthentication()


class EdgeAuthError(Exception):
    def __init__(self, response: HttpResponse):
        self.response = response


def edge_user(request) -> ClaimsUser | None:
    """The caller's claims when a valid token is sent; None on a public route without
    one. Raises EdgeAuthError with the 401 to send otherwise."""
    try:
        authenticated = _authentication.authenticate(request)
    except exceptions.AuthenticationFailed:
        if is_public(request.method, request.path):
            return None  # the service decides what a bad token on a public route means
        message = "The token is expired, forged or malformed."
        raise EdgeAuthError(_unauthorized(ErrorCode.TOKEN_NOT_VALID, message)) from None
    if authenticated is not None:
        # simplejwt makes its TOKEN_USER_CLASS, a ClaimsUser, and types it as a Django user.
        return cast(ClaimsUser, authenticated[0])
    if is_public(request.method, request.path):
        return None
    raise EdgeAuthError(_unauthorized(ErrorCode.NOT_AUTHENTICATED, "Authentication credentials were not provided."))


def _unauthorized(code: ErrorCode, message: str) -> HttpResponse:
    response = error_response(401, code, message)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
