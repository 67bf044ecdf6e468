"""common.limits: hostile input is a 4xx in the common shape, naming what was too big."""

import json

import pytest
from django.test import Client

from common.limits import MAX_HEADER_BYTES, MAX_JSON_DEPTH, MAX_QUERY_DIGITS, nested_deeper_than
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
