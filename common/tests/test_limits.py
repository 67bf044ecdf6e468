"""common.limits: hostile input is a 4xx in the common shape, naming what was too big."""

import json
import random

import pytest
from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import QueryDict
from django.test import Client

from common.limits import (
    MAX_HEADER_BYTES,
    MAX_JSON_DEPTH,
    MAX_QUERY_DIGITS,
    may_hold_overlong_numbers,
    nested_deeper_than,
    overlong_numbers,
)
from common.testing.platform_tests import assert_error_shape


def post_json(body: str, **extra):
    return Client().post("/client/", data=body, content_type="application/json", **extra)


@pytest.mark.parametrize(
    "query", ["page_size=" + "9" * 5000, "page=" + "1" * 21, "ids=1,2," + "3" * 30, "user_id=-" + "4" * 25]
)
def test_a_number_of_too_many_digits_in_the_query_is_a_400_naming_it(query):
    name = query.split("=")[0]

    error = assert_error_shape(Client().get(f"/client/?{query}"), 400, "validation_error")

    assert list(error["details"]) == [name]


@pytest.mark.parametrize(
    "query", ["page_size=" + "9" * MAX_QUERY_DIGITS, "ids=1,2,3", "search_term=" + "7" * 200 + "x"]
)
def test_numbers_an_id_can_hold_and_text_with_digits_pass(query):
    assert Client().get(f"/client/?{query}").status_code == 200


def test_an_oversized_header_is_a_431_naming_it():
    response = Client().get("/client/", HTTP_X_SOMETHING="a" * (MAX_HEADER_BYTES + 1))

    error = assert_error_shape(response, 431, "header_too_large")
    assert list(error["details"]) == ["X-Something"]


def test_a_header_at_the_limit_passes():
    assert Client().get("/client/", HTTP_X_SOMETHING="a" * MAX_HEADER_BYTES).status_code == 200


def test_json_nested_deeper_than_the_limit_is_a_400():
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    over = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)

    assert post_json(at_limit).status_code == 200
    error = assert_error_shape(post_json(over), 400, "parse_error")
    assert f"{MAX_JSON_DEPTH} levels" in error["message"]


def test_json_too_deep_for_the_parser_itself_is_a_400_not_a_500():
    response = post_json('{"a":' * 50_000 + "1" + "}" * 50_000)

    assert_error_shape(response, 400, "parse_error")


def test_a_json_body_over_the_size_limit_is_a_413(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = post_json(json.dumps({"title": "x" * 200}))

    error = assert_error_shape(response, 413, "payload_too_large")
    assert error["details"] == {"max_bytes": 100}


@pytest.mark.parametrize("body", ["{", '{"a": NaN}', b'{"a": "\xff"}', '{"n": ' + "1" * 5000 + "}"])
def test_unreadable_json_is_a_400(body):
    assert_error_shape(post_json(body), 400, "parse_error")


def test_json_within_the_limits_is_parsed():
    assert post_json('{"title": "Dế Mèn", "tags": [{"a": [1, 2]}]}').json() == {
        "data": {"title": "Dế Mèn", "tags": [{"a": [1, 2]}]}
    }


@pytest.mark.parametrize(
    ("value", "deeper"),
    [({}, False), ({"a": {"b": {}}}, True), ([[], [[]]], True), ([[1], {"a": 1}], False), ([1, 2, 3], False)],
)
def test_nesting_is_measured_in_arrays_and_objects(value, deeper):
    assert nested_deeper_than(value, 2) is deeper


def _parse_answer(query_string: str) -> list[str] | str:
    """What parsing the query string finds: its overlong numbers, or a refusal of its fields."""
    try:
        return overlong_numbers(QueryDict(query_string.encode("iso-8859-1")))
    except TooManyFieldsSent:
        return "too many fields"


# Pieces of query strings: digits, in runs too, plain or percent-encoded; separators;
# and U+0661 (a digit to the regular expressions) as UTF-8 bytes, one character each.
# U+0661 also percent-encoded, in either case, beside escapes that are not of a digit.
_QUERY_PIECES = [
    *"0123456789&=+%,.-;a",
    *("1234567", "98765432109", "%31", "%2B", "%26", "%20", "%2C", "%3A", "%3", "%d9", "%D9%A1", "%d9%a1"),
    *("\u00d9\u00a1", "\u00e9"),
]
_NUMBER_PIECES = [*"0123456789" * 3, "1234567", "%31", "+", ",", "-", "%20", "%2C", "%D9%A1", "\u00d9\u00a1"]


def _query_strings() -> list[str]:
    """Query strings as they come in a WSGI environ (each byte one character), some made
    by hand at the edges of the limits, the rest at random: any pieces, and parameters
    whose values are numbers of around MAX_QUERY_DIGITS digits."""
    digits, fields = MAX_QUERY_DIGITS, settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    by_hand = [
        "search_term=tolkien&page=2&page_size=20",
        "page=" + "1" * digits,
        "page=" + "1" * (digits + 1),
        "page=" + "1" * digits + "%31",
        "page=%31" + "1" * digits,
        "page=" + "1" * 10 + "+" + "1" * 11,
        "ids=" + ",".join(["1" * digits] * 3),
        "a" + "=1" + "1" * digits,
        "x=" + "\u00d9\u00a1" * (digits + 1),  # U+0661 in UTF-8, as an environ holds it
        "x=" + "%D9%A1" * (digits + 1),  # and percent-encoded
        "page=" + "1" * 10 + "%20" + "1" * 11,
        "&" * (fields - 1),
        "&" * fields,
        "a=1&" * (fields - 1) + "a=1",
        "a=1&" * fields + "a=1",
        "search_term=" + "7" * 200 + "x",
    ]
    chance = random.Random(2026)  # noqa: S311 (test data, the same on every run)
    drawn = ["".join(chance.choices(_QUERY_PIECES, k=chance.randint(1, 40))) for _ in range(3000)]
    numbers = [
        "&".join(f"n{i}=" + "".join(chance.choices(_NUMBER_PIECES, k=chance.randint(5, 22))) for i in range(3))
        for _ in range(3000)
    ]
    return by_hand + drawn + numbers


def test_a_query_string_not_parsed_is_one_whose_parse_refuses_nothing():
    answers = [(may_hold_overlong_numbers(query), _parse_answer(query), query) for query in _query_strings()]

    assert [query for parsed, answer, query in answers if not parsed and answer != []] == []
    # The table holds both: plain query strings let through, and ones the parse refuses.
    assert sum(not parsed for parsed, _, _ in answers) > 400
    assert sum(answer != [] for _, answer, _ in answers) > 400


@pytest.mark.parametrize(
    ("query_string", "parsed"),
    [
        ("search_term=tolkien&page=2&page_size=20&sort=title", False),
        ("page=" + "1" * MAX_QUERY_DIGITS, False),
        ("page=" + "1" * (MAX_QUERY_DIGITS + 1), True),
        ("search_term=caf%C3%A9", True),
        ("search_term=tieng%20viet&ids=1%2C2", False),
        ("page=%39", True),
        ("x=%D9%A1", True),
        ("search_term=caf\u00e9", True),
    ],
)
def test_only_a_query_string_that_may_break_a_limit_is_parsed(query_string, parsed):
    assert may_hold_overlong_numbers(query_string) is parsed


def test_too_many_fields_in_the_query_are_still_refused():
    query = "&".join(["a=1"] * (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

    assert_error_shape(Client().get(f"/client/?{query}"), 400, "bad_request")
