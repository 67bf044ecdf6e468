from enum import StrEnum

from rest_framework import status

from common.errors import ApiError


class AccountErrorCode(StrEnum):
    USERNAME_TAKEN = "username_taken"
    EMAIL_TAKEN = "email_taken"
    INVALID_CREDENTIALS = "invalid_credentials"
    ACCOUNT_GONE = "account_gone"
    LOGIN_THROTTLED = "login_throttled"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 (an error code, not a password)
    LINK_NOT_VALID = "link_not_valid"
    EMAIL_VERIFIED = "email_verified"


class Unauthenticated(ApiError):
    status_code = status.HTTP_401_UNAUTHORIZED


class WrongPassword(ApiError):
    """400: a logged-in person's current password, asked again, is wrong."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = AccountErrorCode.WRONG_PASSWORD


class LinkNotValid(ApiError):
    """400: a password reset or verification link that is wrong, used or expired (the
    same answer for each, so a link's parts cannot be probed one by one)."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = AccountErrorCode.LINK_NOT_VALID


class LoginThrottled(ApiError):
    """429; DRF's handler turns `wait` into the Retry-After header."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = AccountErrorCode.LOGIN_THROTTLED

    def __init__(self, message: str, *, wait: int):
        super().__init__(message, details={"retry_after_seconds": wait})
        self.wait = wait
