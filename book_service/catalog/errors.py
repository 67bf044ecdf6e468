from enum import StrEnum


class CatalogErrorCode(StrEnum):
    EMAIL_TAKEN = "author_email_taken"
    CATEGORY_NAME_TAKEN = "category_name_taken"
    STILL_IN_USE = "still_in_use"
    ISBN_TAKEN = "isbn_taken"
