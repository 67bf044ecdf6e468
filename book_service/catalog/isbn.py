"""ISBNs as the catalog stores them: ISBN-13, digits only.

Input may be an ISBN-13 or an ISBN-10 (converted: the 978 prefix and a new check
digit), with hyphens or spaces anywhere, as printed on books.
"""

import re

_SEPARATORS = re.compile(r"[\s-]+")


class InvalidIsbn(ValueError):
    pass


def _isbn13_check_digit(first12: str) -> str:
    total = sum(int(digit) * (3 if i % 2 else 1) for i, digit in enumerate(first12))
    return str((10 - total % 10) % 10)


def _isbn10_is_valid(isbn10: str) -> bool:
    values = [10 if ch == "X" else int(ch) for ch in isbn10]
    return sum(value * weight for value, weight in zip(values, range(10, 0, -1), strict=True)) % 11 == 0


def isbn_normalize(raw: str) -> str:
    """The ISBN-13 of `raw`, digits only; InvalidIsbn saying what is wrong."""
    compact = _SEPARATORS.sub("", raw).upper()
    if re.fullmatch(r"\d{13}", compact):
        if not compact.startswith(("978", "979")):
            raise InvalidIsbn("An ISBN-13 starts with 978 or 979.")
        if _isbn13_check_digit(compact[:12]) != compact[12]:
            raise InvalidIsbn("The ISBN's check digit is wrong.")
        return compact
    if re.fullmatch(r"\d{9}[\dX]", compact):
        if not _isbn10_is_valid(compact):
            raise InvalidIsbn("The ISBN's check digit is wrong.")
        first12 = "978" + compact[:9]
        return first12 + _isbn13_check_digit(first12)
    raise InvalidIsbn("An ISBN has 13 digits (or 10, the last maybe X); hyphens and spaces may separate them.")


def isbn_or_none(raw: str) -> str | None:
    """The ISBN-13 of `raw` if it is a valid ISBN, else None (a search term, say)."""
    try:
        return isbn_normalize(raw)
    except InvalidIsbn:
        return None
