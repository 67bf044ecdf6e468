from enum import StrEnum

from rest_framework import status

from common.errors import ApiError


class CatalogErrorCode(StrEnum):
    EMAIL_TAKEN = "author_email_taken"
    CATEGORY_NAME_TAKEN = "category_name_taken"
    STILL_IN_USE = "still_in_use"
    ISBN_TAKEN = "isbn_taken"
    COVER_STORAGE_UNAVAILABLE = "cover_storage_unavailable"


class CoverStorageUnavailable(ApiError):
    """503: the covers' storage refused the file (a read-only or full disk, a folder
    the service may not write); nothing was changed."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = CatalogErrorCode.COVER_STORAGE_UNAVAILABLE
