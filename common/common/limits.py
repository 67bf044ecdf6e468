"""Limits on what a client can make a service parse: every process, one place.

Each refusal is the common error shape, naming what was too big:

- a request header over MAX_HEADER_BYTES: 431 `header_too_large` (waitress refuses all
  headers together over 64 KiB, in plain text, before this runs);
- a number in a query parameter (a value made of digits, signs, commas and dots:
  `page_size`, `ids`, `user_id`) with a run of more than MAX_QUERY_DIGITS digits: 400
  `validation_error` naming the parameter (Python refuses to read an int over 4,300
  digits, and no id, page or quantity needs more than 19);
- a JSON body nested more than MAX_JSON_DEPTH arrays or objects deep: 400
  `parse_error` (a deep enough one makes the parser itself run out of stack); one over
  DATA_UPLOAD_MAX_MEMORY_SIZE (Django's limit, 2.5 MB; the gateway's is 1 MiB) is a
  413 `payload_too_large` (common.errors).
"""

import contextlib
import re
from collections.abc import Callable, Mapping
from typing import IO, Any

import orjson
from django.conf import settings
from django.http import HttpRequest, JsonResponse, QueryDict
from django.http.response import HttpResponseBase
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings
from rest_framework.utils import json

MAX_HEADER_BYTES = 8 * 1024
MAX_QUERY_DIGITS = 20
MAX_JSON_DEPTH = 32

_NUMERIC = re.compile(r"[\d\s,.+-]+")
_DIGIT_RUN = re.compile(rf"\d{{{MAX_QUERY_DIGITS + 1},}}")
# A percent escape decodes to a digit only as an ASCII one (%30-%39) or as a byte of a
# character beyond ASCII (%80-%FF), which \d may take for a digit (U+0661, say); a space
# (%20) or a comma (%2C) cannot lengthen a run of digits.
_ESCAPE_OF_A_DIGIT = re.compile(r"%(?:3[0-9]|[89a-fA-F][0-9a-fA-F])")


def _header_name(meta_key: str) -> str:
    return meta_key.removeprefix("HTTP_").replace("_", "-").title()


_BODY_HEADERS = ("CONTENT_TYPE", "CONTENT_LENGTH")


def oversized_header(meta: dict[str, Any]) -> str | None:
    # Headers are text in a WSGI environ (PEP 3333); the length first, as nearly every
    # entry is short, and the name only of a long one.
    for key, value in meta.items():
        if (
            isinstance(value, str)
            and len(value) > MAX_HEADER_BYTES
            and (key.startswith("HTTP_") or key in _BODY_HEADERS)
        ):
            return _header_name(key)
    return None


def overlong_numbers(query: QueryDict) -> list[str]:
    """The query parameters holding a number of more than MAX_QUERY_DIGITS digits."""
    return sorted(
        {
            name
            for name, values in query.lists()
            for value in values
            if _NUMERIC.fullmatch(value) and _DIGIT_RUN.search(value)
        }
    )


def may_hold_overlong_numbers(query_string: str) -> bool:
    """False when parsing `query_string` can neither find an overlong number nor refuse
    its fields as too many (DATA_UPLOAD_MAX_NUMBER_FIELDS): plain ASCII, where every
    decoded digit is a digit of the raw text (no escape of one), with no run of more
    than MAX_QUERY_DIGITS digits and no more fields than the limit (one per "&", as
    parse_qsl counts them)."""
    max_fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    return (
        not query_string.isascii()
        or ("%" in query_string and _ESCAPE_OF_A_DIGIT.search(query_string) is not None)
        or (max_fields is not None and query_string.count("&") >= max_fields)
        or _DIGIT_RUN.search(query_string) is not None
    )


class RequestLimitsMiddleware:
    """Refuses oversized headers and overlong numbers in the query string before any
    view (or, at the gateway, any service) sees them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return refusal_of(request) or self.get_response(request)


def refusal_of(request: HttpRequest) -> JsonResponse | None:
    """The answer refusing an oversized header or an overlong number, else None."""
    if header := oversized_header(request.META):
        message = f"The {header} header is over {MAX_HEADER_BYTES} bytes."
        return _refusal(431, "HEADER_TOO_LARGE", message, {header: [message]})
    # A query string that cannot break a limit is not parsed here (request.GET, for DRF, may
    # never be; the gateway forwards the query string as it came).
    query_string = request.META.get("QUERY_STRING")
    if query_string and may_hold_overlong_numbers(query_string) and (names := overlong_numbers(request.GET)):
        details = {name: [f"A number of at most {MAX_QUERY_DIGITS} digits is required."] for name in names}
        return _refusal(400, "VALIDATION_ERROR", "The request has invalid fields.", details)
    return None


def _refusal(status: int, code: str, message: str, details: dict[str, Any]) -> JsonResponse:
    # Imported here: common.errors imports DRF's views, which import this module for its
    # parser (DEFAULT_PARSER_CLASSES), so neither can import the other at the top.
    from common.errors import ErrorCode, error_response

    return error_response(status, ErrorCode[code], message, details)


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (walked without recursion)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


_UTF8 = ("utf-8", "utf8")
# An int of 19 digits or more may be past 64 bits, which orjson reads as a float where
# json keeps an int: looked for as a run of zeros once every digit is a zero.
_DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"0" * 9)
_LONG_DIGIT_RUN = b"0" * 19


def _json_loads(raw: bytes, encoding: str) -> Any:
    """The body as json reads it. orjson reads it where it reads the same: it refuses
    all that json refuses (NaN and Infinity too); json then reads what orjson refuses
    (a lone surrogate, a number past a double's range) or gives json's own error."""
    if encoding.lower() in _UTF8 and _LONG_DIGIT_RUN not in raw.translate(_DIGITS_AS_ZEROS):
        with contextlib.suppress(orjson.JSONDecodeError):
            return orjson.loads(raw)
    parse_constant = json.strict_constant if api_settings.STRICT_JSON else None
    return json.loads(raw.decode(encoding), parse_constant=parse_constant)


def _may_nest_too_deep(raw: bytes, encoding: str) -> bool:
    """False when the body cannot nest past MAX_JSON_DEPTH: in UTF-8, one with no more
    opening brackets than that (counted inside strings too)."""
    return encoding.lower() not in _UTF8 or raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (the only one the services use) with a depth limit, reading
    through orjson where that reads as json does (_json_loads). The body
    it reads is request.body, which Django refuses over DATA_UPLOAD_MAX_MEMORY_SIZE
    (a 413 from common.errors.exception_handler)."""

    def parse(
        self, stream: IO[Any] | None, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]  # not in the stubs
        raw = stream.read() if stream is not None else b""
        too_deep = f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."
        try:
            data = _json_loads(raw, encoding)
        except RecursionError:
            raise ParseError(too_deep) from None
        except ValueError as exc:  # UnicodeDecodeError included
            raise ParseError(f"JSON parse error - {exc}") from None
        if (
            isinstance(data, (dict, list))
            and _may_nest_too_deep(raw, encoding)
            and nested_deeper_than(data, MAX_JSON_DEPTH)
        ):
            raise ParseError(too_deep)
        return data
