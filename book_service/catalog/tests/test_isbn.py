import pytest

from catalog.isbn import InvalidIsbn, isbn_normalize, isbn_or_none


@pytest.mark.parametrize(
    ("raw", "isbn13"),
    [
        ("9780306406157", "9780306406157"),
        ("978-0-306-40615-7", "9780306406157"),
        (" 978 0 306 40615 7 ", "9780306406157"),
        ("0-306-40615-2", "9780306406157"),  # ISBN-10, converted
        ("080442957X", "9780804429573"),  # an ISBN-10 whose check digit is X
        ("080442957x", "9780804429573"),
        ("979-10-90636-07-1", "9791090636071"),
    ],
)
def test_an_isbn_is_stored_as_thirteen_digits(raw, isbn13):
    assert isbn_normalize(raw) == isbn13


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("9780306406158", "check digit"),
        ("0-306-40615-3", "check digit"),
        ("1234567890123", "978 or 979"),
        ("97803064061", "13 digits"),
        ("978030640615X", "13 digits"),
        ("", "13 digits"),
        ("isbn 9780306406157", "13 digits"),
    ],
)
def test_a_wrong_isbn_says_what_is_wrong(raw, says):
    with pytest.raises(InvalidIsbn, match=says):
        isbn_normalize(raw)


def test_a_search_term_is_an_isbn_or_not():
    assert isbn_or_none("0306406152") == "9780306406157"
    assert isbn_or_none("de men") is None
