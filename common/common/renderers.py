"""DRF's JSON renderer, writing through orjson: the same bytes as
rest_framework.renderers.JSONRenderer for every value, or DRF's own renderer writes them.

orjson writes natively what Python's json writes the same way (str, int, bool, None,
dict, list, tuple, UUID). What it would write differently never reaches it, or comes back
to DRF's renderer:

- floats (orjson spells exponents and small numbers otherwise, and writes NaN and
  Infinity as null where DRF refuses them) and Enum members (which orjson writes by value
  where DRF refuses them) are looked for before encoding; a body holding one is DRF's;
- datetimes, dates, times, dataclasses and subclasses of str, int, dict and list are
  passed to `_default`, which converts them as json and DRF's encoder do;
- what orjson refuses (ints over 64 bits, non-str keys, nesting past its limit, values
  neither converts) is DRF's, and so raises what DRF raises;
- an indented answer (`; indent=` in Accept, or the renderer context's indent) is DRF's.
"""

from collections.abc import Iterator, Mapping
from enum import Enum
from itertools import chain
from typing import Any

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
_CONTAINERS = frozenset({dict, list, tuple})
_PLAIN = frozenset({str, int, bool, type(None), *_CONTAINERS})
_DRF_ENCODER = JSONEncoder()


class _LeftToDRF(Exception):
    """Stops orjson: DRF's renderer writes this body."""


def _children(level: list[Any]) -> Iterator[Any]:
    return chain.from_iterable(item.values() if type(item) is dict else item for item in level)


def _holds_what_orjson_writes_otherwise(value: Any) -> bool:
    """Whether a float or an Enum member is in `value` or its plain dicts, lists and
    tuples (anything else reaches _default, which checks what it converts). Walked a
    level at a time, each level's values read together; a container met again (held
    twice, or holding itself) is not walked again."""
    level: list[Any] = [(value,)]
    walked: set[int] = set()
    while level:
        kinds = set(map(type, _children(level)))
        if not kinds <= _PLAIN and any(issubclass(kind, (float, Enum)) for kind in kinds):
            return True
        if kinds.isdisjoint(_CONTAINERS):
            return False
        containers = {id(child): child for child in _children(level) if type(child) in _CONTAINERS}
        level = [child for key, child in containers.items() if key not in walked]
        walked.update(containers)
    return False


def _default(value: Any) -> Any:
    """What json (for subclasses of its native types) or DRF's encoder (for the rest)
    turns `value` into."""
    if isinstance(value, Iterator):
        # One pass only: should orjson then give up, DRF's renderer could not read it again.
        raise _LeftToDRF
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, dict):
        # json reads a dict subclass through its items(), as an OrderedDict's order.
        converted: Any = dict(value.items())
    elif isinstance(value, list):
        converted = list(value)
    else:
        converted = _DRF_ENCODER.default(value)
    if _holds_what_orjson_writes_otherwise(converted):
        raise _LeftToDRF
    return converted


class JSONRenderer(renderers.JSONRenderer):
    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        if data is None:
            return b""
        if (
            self.ensure_ascii
            or not self.compact
            or self.get_indent(accepted_media_type or "", renderer_context or {}) is not None
            or _holds_what_orjson_writes_otherwise(data)
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # DRF escapes these two, which JavaScript (before ES2019) refuses in a string.
        return rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
