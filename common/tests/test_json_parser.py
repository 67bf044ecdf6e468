"""common.limits.JSONParser reads through orjson what json reads the same, and gives json's
value or error for every body."""

import io
import json
import math
import random
import struct

import pytest
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

from common import limits
from common.limits import JSONParser


def parsed(body: bytes, charset: str | None = None):
    context = {"encoding": charset} if charset else {}
    try:
        return JSONParser().parse(io.BytesIO(body), "application/json", context)
    except ParseError as exc:
        return ("ParseError", str(exc.detail))


def json_parsed(body: bytes, charset: str = "utf-8"):
    """What the parser answered before orjson: json's value, or its error."""
    try:
        return json.loads(body.decode(charset), parse_constant=strict_constant)
    except ValueError as exc:
        return ("ParseError", f"JSON parse error - {exc}")


def same(left, right) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0, -0.0 is not 0.0)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(left[key], right[key]) for key in left)
    if isinstance(left, (list, tuple)):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, float):
        return struct.pack("<d", left) == struct.pack("<d", right) or (math.isnan(left) and math.isnan(right))
    return left == right


BODIES = [
    b'{"title": "D\xe1\xba\xbf M\xc3\xa8n", "quantity": 2, "price": "12.50", "tags": [], "gift": null}',
    b'{"items": [{"book_id": 1, "quantity": 3}, {"book_id": 2, "quantity": 1}], "note": ""}',
    b"[1, 1.0, -0, -0.0, 1e5, 1E-5, 0.1e1, 2.2250738585072011e-308, 5e-324, 1.7976931348623157e308]",
    b'"\\u00e9\\ud83d\\ude00\\u2028 \\" \\\\ \\/ \\b\\f\\n\\r\\t"',
    b'{"a": 1, "a": 2}',
    b"\t[1]\n ",
    b'"\x7f"',
    b"18446744073709551615",
    b"18446744073709551616",
    b"-9223372036854775808",
    b"-9223372036854775809",
    b"9999999999999999999",
    b"123456789012345678901234567890",
    b"0.1000000000000000055511151231257827021181583404541015625",
    b"1e400",
    b"-1e400",
    b"1e-400",
    b"1" + b"0" * 400,
    b'"\\ud800"',
    b'"\\udc00\\ud800x"',
    b"NaN",
    b'{"a": NaN}',
    b"[Infinity]",
    b"-Infinity",
    b"",
    b" ",
    b"{",
    b"[1,]",
    b'{"a" 1}',
    b"01",
    b"1.",
    b".5",
    b"+1",
    b"[1] x",
    b"\xef\xbb\xbf{}",
    b'"a\x01b"',
    b'"\xff"',
    b'"\xed\xa0\x80"',
    b"\x0c1",
    b"\xc2\xa01",
    b"nul",
    b"true false",
    b"[" * 40 + b"]" * 40,
]


@pytest.mark.parametrize("body", BODIES)
def test_every_body_reads_as_json_reads_it(body):
    ours = parsed(body)
    expected = json_parsed(body)
    if isinstance(expected, (dict, list)) and limits.nested_deeper_than(expected, limits.MAX_JSON_DEPTH):
        expected = ("ParseError", f"The JSON body is nested more than {limits.MAX_JSON_DEPTH} levels deep.")

    assert same(ours, expected), (ours, expected)


def test_nan_and_infinity_are_refused_as_drf_refuses_them():
    for body in (b"NaN", b"[1, Infinity]", b'{"a": -Infinity}'):
        kind, message = parsed(body)
        assert kind == "ParseError"
        assert message.startswith("JSON parse error - Out of range float values are not JSON compliant")


def test_ints_past_64_bits_stay_ints():
    assert parsed(b'{"n": 123456789012345678901234567890, "m": -9223372036854775809}') == {
        "n": 123456789012345678901234567890,
        "m": -9223372036854775809,
    }


@pytest.mark.parametrize(
    ("charset", "text"), [("latin-1", '{"t": "café"}'), ("latin-1", '["Ã©"]'), ("utf-16", '["Dế Mèn"]')]
)
def test_another_charset_is_read_in_it(charset, text):
    assert parsed(text.encode(charset), charset) == json.loads(text)


def test_a_body_not_in_its_charset_is_a_parse_error():
    kind, message = parsed('"café"'.encode("latin-1"))

    assert kind == "ParseError"
    assert "'utf-8' codec can't decode" in message


def test_a_typical_body_is_read_by_orjson(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("json was used")

    monkeypatch.setattr(limits.json, "loads", refuse)
    assert parsed(BODIES[1]) == {"items": [{"book_id": 1, "quantity": 3}, {"book_id": 2, "quantity": 1}], "note": ""}


def seeded(seed: int | str) -> random.Random:
    return random.Random(seed)  # noqa: S311 (test data, the same on every run)


def random_value(rng: random.Random, depth: int):
    if depth == 0 or rng.random() < 0.3:
        return rng.choice(
            [
                None,
                True,
                False,
                rng.randint(-(2**70), 2**70),
                rng.randint(-1000, 1000),
                rng.uniform(-1, 1) * 10 ** rng.randint(-320, 308),
                struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0],
                "".join(rng.choice('aZ0 "\\/\x00\x1f\x7fé€書📚\u2028\ufeff') for _ in range(rng.randrange(8))),
            ]
        )
    if rng.random() < 0.5:
        return [random_value(rng, depth - 1) for _ in range(rng.randrange(5))]
    return {rng.choice(["id", "é", "", "a b"]): random_value(rng, depth - 1) for _ in range(rng.randrange(5))}


def mangled(rng: random.Random, text: str) -> bytes:
    """The text with a few bytes cut, doubled or replaced by JSON's own characters."""
    body = bytearray(text.encode())
    for _ in range(rng.randrange(1, 4)):
        if not body:
            break
        at = rng.randrange(len(body))
        action = rng.randrange(3)
        if action == 0:
            del body[at]
        elif action == 1:
            body.insert(at, body[at])
        else:
            body[at] = rng.choice(b'{}[],:"\\-+.eE0123456789 \ttruefalsenullNaN\x00\xff\x80')
    return bytes(body)


@pytest.mark.parametrize("seed", range(10))
def test_random_bodies_read_as_json_reads_them(seed):
    rng = seeded(seed)
    for _ in range(300):
        text = json.dumps(random_value(rng, 4), ensure_ascii=rng.random() < 0.5, allow_nan=True)
        for body in (text.encode(), mangled(rng, text)):
            assert same(parsed(body), json_parsed(body)), body


@pytest.mark.parametrize("charset", ["utf-8", "utf-16", "utf-32", "cp500"])
@pytest.mark.parametrize("opening", ['{"a":', "[", '[{"b": 1, "c":'])
def test_a_body_nested_past_the_limit_is_refused_in_any_charset(charset, opening):
    closing = {'{"a":': "}", "[": "]", '[{"b": 1, "c":': "}]"}[opening]
    at_limit = (
        opening * (limits.MAX_JSON_DEPTH // len(closing)) + "1" + closing * (limits.MAX_JSON_DEPTH // len(closing))
    )
    over = "[" + at_limit + "]"

    assert json.loads(at_limit) == parsed(at_limit.encode(charset), charset)
    assert parsed(over.encode(charset), charset) == (
        "ParseError",
        f"The JSON body is nested more than {limits.MAX_JSON_DEPTH} levels deep.",
    )
