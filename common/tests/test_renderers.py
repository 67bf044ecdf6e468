"""common.renderers.JSONRenderer writes, for every value, DRF's JSONRenderer's bytes (or its error)."""

import dataclasses
import datetime
import enum
import random
import struct
import uuid
from collections import OrderedDict, namedtuple
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import models
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from rest_framework import renderers, serializers
from rest_framework.settings import api_settings
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from common.renderers import JSONRenderer

UTC = datetime.UTC
SERIALIZER: serializers.Serializer = serializers.Serializer()  # what ReturnDict and ReturnList are made with
HO_CHI_MINH = ZoneInfo("Asia/Ho_Chi_Minh")
LONDON = ZoneInfo("Europe/London")


class Colour(enum.Enum):
    RED = 1


class Size(enum.IntEnum):
    LARGE = 3


class Status(models.TextChoices):
    PAID = "paid", "Paid"


class Label(str):
    """json writes a str subclass's characters, not its str()."""

    def __str__(self):
        return "something else"


class Count(int):
    pass


class Ratio(float):
    pass


class Reversed(dict):
    """json reads a dict subclass through items(); orjson, left alone, would not."""

    def items(self):
        return reversed(list(super().items()))


@dataclasses.dataclass
class Point:
    x: int


Pair = namedtuple("Pair", "left right")


def outcome(renderer, value, media_type=None, context=None):
    try:
        return renderer.render(value, media_type, context)
    except Exception as exc:  # the error is part of what DRF answers
        return (type(exc), str(exc))


def assert_same_as_drf(make_value, media_type=None, context=None):
    """Each renderer is given its own value: a generator in it can be read once only."""
    ours = outcome(JSONRenderer(), make_value(), media_type, context)
    drf = outcome(renderers.JSONRenderer(), make_value(), media_type, context)
    assert ours == drf


def moved_to_end():
    ordered = OrderedDict(a=1, b=2, c=3)
    ordered.move_to_end("a")
    return ordered


def holds_itself():
    value: list = [1]
    value.append(value)
    return value


def nested(depth):
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


VALUES = {
    "empty dict": lambda: {},
    "empty list": lambda: [],
    "empty string": lambda: "",
    "nested": lambda: {"a": [1, {"b": [None, True, False, {"c": []}]}], "d": {}},
    "tuple": lambda: (1, "two", (3,)),
    "unicode": lambda: {"tiêu đề": "Dế Mèn phiêu lưu ký", "emoji": "📚", "cjk": "書"},
    "line separators": lambda: ["a\u2028b", "c\u2029d", {"\u2028": "\u2029"}],
    "escapes": lambda: 'quote " backslash \\ slash / nul \x00 \x1f del \x7f \n\r\t\b\f',
    "lone surrogate": lambda: "\ud800",
    "ints": lambda: [0, -1, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1],
    "int over 64 bits": lambda: {"n": 2**64},
    "negative int over 64 bits": lambda: [-(2**63) - 1],
    "huge int": lambda: 10**100,
    "floats": lambda: [
        0.0,
        -0.0,
        1.5,
        0.1,
        1 / 3,
        1e15,
        1e16,
        1e22,
        1e-4,
        1e-5,
        1.5e-7,
        5e-324,
        1.7976931348623157e308,
    ],
    "float alone": lambda: 1e-05,
    "float subclass": lambda: [Ratio(0.25)],
    "datetime naive": lambda: datetime.datetime(2024, 2, 29, 13, 5, 9),
    "datetime naive with microseconds": lambda: datetime.datetime(2024, 2, 29, 13, 5, 9, 123456),
    "datetime utc": lambda: datetime.datetime(2024, 1, 1, tzinfo=UTC),
    "datetime utc with microseconds": lambda: [datetime.datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC)],
    "datetime +07:00": lambda: {"at": datetime.datetime(2024, 1, 1, 7, 30, 0, 500000, tzinfo=HO_CHI_MINH)},
    "datetime zero offset, not UTC": lambda: datetime.datetime(2024, 1, 1, 12, tzinfo=LONDON),
    "date": lambda: datetime.date(1999, 12, 31),
    "time": lambda: [datetime.time(23, 59, 59), datetime.time(0, 0, 0, 999)],
    "aware time": lambda: datetime.time(12, tzinfo=UTC),
    "timedelta": lambda: [datetime.timedelta(days=1, seconds=5, microseconds=7), datetime.timedelta(0)],
    "decimal": lambda: [Decimal("12.50"), Decimal("0.1"), Decimal("1E+30")],
    "decimal nan": lambda: Decimal("NaN"),
    "uuid": lambda: {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    "lazy string": lambda: {"message": gettext_lazy("This field is required.")},
    "bytes": lambda: b"caf\xc3\xa9",
    "undecodable bytes": lambda: b"\xff",
    "set": lambda: {"tags": frozenset({3})},
    "generator": lambda: {"squares": (n * n for n in range(4))},
    "generator then a big int": lambda: {"a": (n for n in range(3)), "b": 2**70},
    "map": lambda: map(str, range(3)),
    "ordered dict moved": moved_to_end,
    "dict subclass reading items()": lambda: Reversed(a=1, b=2),
    "return dict and list": lambda: ReturnDict(
        a=ReturnList([1, {"b": 2}], serializer=SERIALIZER), serializer=SERIALIZER
    ),
    "safe string": lambda: mark_safe("<b>"),
    "str subclass": lambda: [Label("x"), {"k": Label("y")}],
    "str subclass key": lambda: {Label("k"): 1},
    "int subclass": lambda: Count(7),
    "int enum": lambda: [Size.LARGE],
    "text choices": lambda: {"status": Status.PAID},
    "plain enum": lambda: {"colour": Colour.RED},
    "dataclass": lambda: Point(1),
    "namedtuple": lambda: Pair(1, "b"),
    "int keys": lambda: {1: "a", 2: "b"},
    "mixed keys": lambda: {"a": 1, None: 2, True: 3, 1.5: 4},
    "holds itself": holds_itself,
    "nested at orjson's limit": lambda: nested(254),
    "nested past orjson's limit": lambda: nested(255),
    "object": lambda: {"x": object()},
    "bool": lambda: True,
    "string": lambda: "plain",
}


@pytest.mark.parametrize("make_value", VALUES.values(), ids=VALUES.keys())
def test_the_same_bytes_or_error_as_drf(make_value):
    assert_same_as_drf(make_value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_nan_and_infinity_are_refused_as_drf_refuses_them(value):
    for holder in ({"x": value}, [1, [value]], value, ReturnList([value], serializer=SERIALIZER)):
        with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
            JSONRenderer().render(holder)
        assert_same_as_drf(lambda holder=holder: holder)


def test_none_is_an_empty_body():
    assert JSONRenderer().render(None) == b""


def test_line_separators_are_escaped_as_drf_escapes_them():
    assert JSONRenderer().render(["\u2028\u2029"]) == b'["\\u2028\\u2029"]'


@pytest.mark.parametrize(
    ("media_type", "context"),
    [
        ("application/json; indent=4", None),
        ("application/json; indent=2", {"indent": 8}),
        (None, {"indent": 2}),
        ("application/json; indent=0", None),
        ("application/json; indent=x", None),
    ],
)
def test_an_indentation_asked_for_is_drfs(media_type, context):
    value = {"a": [1, {"b": "é\u2028"}], "at": datetime.datetime(2024, 1, 1, tzinfo=UTC)}

    assert_same_as_drf(lambda: value, media_type, context)
    indented = b"\n" in JSONRenderer().render(value, media_type, context)
    assert indented is (media_type not in ("application/json; indent=0", "application/json; indent=x"))


def book(number):
    return {
        "id": number,
        "title": f"Dế Mèn phiêu lưu ký, tập {number}",
        "author_id": 3,
        "author_name": "Tô Hoài",
        "category_id": 2,
        "category_name": "Thiếu nhi",
        "published_date": "1941-01-01",
        "price": "120000.00",
        "description": "Một chú dế cường tráng phiêu lưu khắp thế gian. " * 4,
        "isbn": None if number % 3 else "9786042086046",
        "language": "vi",
        "page_count": None if number % 2 else 180,
        "publisher": "Kim Đồng",
        "cover_url": None,
        "in_stock": number % 4 != 0,
        "created_at": "2024-05-01T10:00:00.123456Z",
        "updated_at": "2024-05-02T11:30:00Z",
    }


def catalog_page():
    """A page as book_service answers it (common.pagination around BookSerializer's dicts)."""
    results = ReturnList([book(number) for number in range(1, 21)], serializer=SERIALIZER)
    return {"count": 412, "next": "http://testserver/api/books/?page=2", "previous": None, "results": results}


def refuse_drf_render(*args, **kwargs):
    raise AssertionError("DRF's renderer was used")


def test_a_catalog_page_is_written_by_orjson(monkeypatch):
    expected = renderers.JSONRenderer().render(catalog_page())

    monkeypatch.setattr(renderers.JSONRenderer, "render", refuse_drf_render)
    assert JSONRenderer().render(catalog_page()) == expected


@pytest.mark.parametrize("value", [{"price": 1.5}, [Decimal("2.5")], {"a": [Size.LARGE]}, {"big": 2**64}])
def test_what_orjson_writes_otherwise_is_drfs(monkeypatch, value):
    drf_render = renderers.JSONRenderer.render
    calls = []

    def counted(*args, **kwargs):
        calls.append(args)
        return drf_render(*args, **kwargs)

    monkeypatch.setattr(renderers.JSONRenderer, "render", counted)
    JSONRenderer().render(value)
    assert len(calls) == 1


def seeded(seed: int | str) -> random.Random:
    return random.Random(seed)  # noqa: S311 (test data, the same on every run)


def scalar(rng: random.Random):
    kind = rng.randrange(16)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, 1, -1, 2**31, 2**53, 2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**63) - 1, 10**30])
    if kind == 2:
        return rng.randint(-(10**12), 10**12)
    if kind == 3:
        return rng.uniform(-1, 1) * 10 ** rng.randint(-320, 308)
    if kind == 4:
        return rng.choice([float("nan"), float("inf"), -0.0, 1e16, 1e-5])
    if kind == 5:
        alphabet = 'aZ09 "\\/\x00\x1f\x7f\n\té€書📚\u2028\u2029\ufeff'
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
    if kind == 6:
        zone = rng.choice([None, UTC, HO_CHI_MINH, LONDON, datetime.timezone(datetime.timedelta(hours=-5))])
        return datetime.datetime(
            rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 28), rng.randrange(24), rng.randrange(60),
            rng.randrange(60), rng.choice([0, rng.randrange(1_000_000)]), tzinfo=zone,
        )  # fmt: skip
    if kind == 7:
        return datetime.date(rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 28))
    if kind == 8:
        return datetime.time(rng.randrange(24), rng.randrange(60), rng.randrange(60), rng.choice([0, 999, 123456]))
    if kind == 9:
        return datetime.timedelta(seconds=rng.uniform(-1e6, 1e6))
    if kind == 10:
        return Decimal(rng.randint(-(10**8), 10**8)).scaleb(-rng.randrange(4))
    if kind == 11:
        return uuid.UUID(int=rng.getrandbits(128))
    if kind == 12:
        return rng.choice([gettext_lazy("Not found."), mark_safe("<i>"), Label("l"), Count(2), Size.LARGE])
    if kind == 13:
        return rng.choice([Status.PAID, Colour.RED, b"bytes", Point(2), Pair(1, 2)])
    return rng.choice(["", "title", 0, 1, None])


def value_of_depth(rng: random.Random, depth: int):
    if depth == 0 or rng.random() < 0.3:
        return scalar(rng)
    size = rng.randrange(6)
    kind = rng.randrange(5)
    if kind == 0:
        return [value_of_depth(rng, depth - 1) for _ in range(size)]
    if kind == 1:
        return tuple(value_of_depth(rng, depth - 1) for _ in range(size))
    if kind == 2:
        return ReturnList([value_of_depth(rng, depth - 1) for _ in range(size)], serializer=SERIALIZER)
    keys: list[object] = [rng.choice(["id", "title", "é", "\u2028", "a", "b", "", "x y"]) for _ in range(size)]
    if rng.random() < 0.05:
        keys.append(rng.choice([1, None, 2.5, Label("k")]))
    items = [(key, value_of_depth(rng, depth - 1)) for key in keys]
    return OrderedDict(items) if kind == 3 else dict(items)


def plain_value(rng: random.Random, depth: int):
    """Only what orjson writes itself (most answers): no float, no Enum, nothing converted."""
    if depth == 0 or rng.random() < 0.3:
        return rng.choice([None, True, False, 0, -(2**63), 2**64 - 1, "", 'é\u2028\x00"', "Tô Hoài"])
    if rng.random() < 0.5:
        return [plain_value(rng, depth - 1) for _ in range(rng.randrange(5))]
    return {rng.choice(["id", "é", "\u2029", ""]): plain_value(rng, depth - 1) for _ in range(rng.randrange(5))}


@pytest.mark.parametrize("seed", range(20))
def test_random_values_are_written_as_drf_writes_them(seed):
    for case in range(100):
        assert_same_as_drf(lambda case=case: value_of_depth(seeded(f"{seed}-{case}"), 4))


@pytest.mark.parametrize("seed", range(5))
def test_random_plain_values_are_written_by_orjson_as_drf_writes_them(monkeypatch, seed):
    rng = seeded(seed)
    values = [plain_value(rng, 5) for _ in range(200)]
    expected = [renderers.JSONRenderer().render(value) for value in values]
    monkeypatch.setattr(renderers.JSONRenderer, "render", refuse_drf_render)

    assert [JSONRenderer().render(value) for value in values] == expected


def test_every_float_is_written_as_drf_writes_it():
    rng = seeded(0)
    floats = [rng.uniform(-1, 1) * 10 ** rng.randint(-320, 308) for _ in range(3000)]
    floats += [struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(3000)]

    for number in floats:
        assert_same_as_drf(lambda number=number: {"n": number})


def test_the_services_render_through_it():
    (renderer_class,) = api_settings.DEFAULT_RENDERER_CLASSES
    assert renderer_class is JSONRenderer
