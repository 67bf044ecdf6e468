"""common.log_format: one record, one line, whatever the request put in it."""

import logging
import sys

import pytest

from common.log_format import OneLineFormatter, escape_controls

FORMAT = "%(levelname)s %(name)s: %(message)s"


def record(message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("access", logging.INFO, __file__, 1, message, args, exc_info)


def test_control_characters_are_escaped():
    assert escape_controls("/api/x\r\nFORGED\x1b[31m\u2028\t") == "/api/x\\r\\nFORGED\\x1b[31m\\u2028\\t"


def test_printable_text_is_kept_as_it_is():
    assert escape_controls("GET /api/books/?search_term=dế mèn") == "GET /api/books/?search_term=dế mèn"


def test_a_record_with_a_line_break_in_its_arguments_stays_one_line():
    line = OneLineFormatter(FORMAT).format(record("GET %s status=%s", "/nothing\r\nINFO access: forged", 404))

    assert line == "INFO access: GET /nothing\\r\\nINFO access: forged status=404"


def test_traceback_lines_are_indented_so_none_looks_like_a_record():
    try:
        raise ValueError("bad value\nINFO access: forged")
    except ValueError:
        exc_info = sys.exc_info()

    lines = OneLineFormatter(FORMAT).format(record("failed", exc_info=exc_info)).splitlines()

    assert lines[0] == "INFO access: failed"
    assert all(line.startswith("    ") for line in lines[1:])
    assert any("INFO access: forged" in line for line in lines[1:])


@pytest.mark.parametrize("datefmt", [None, "%H:%M:%S"])
def test_times_are_written_as_logging_writes_them(datefmt):
    """OneLineFormatter keeps the text of the last second it wrote: the same time as
    logging.Formatter's, second after second, whatever the milliseconds."""
    ours, logging_s = OneLineFormatter(FORMAT, datefmt), logging.Formatter(FORMAT, datefmt)
    made = record("x")
    for created in [made.created + step / 7 for step in range(40)] + [0.0, 1.999, 1_800_000_000.5, 2.0]:
        made.created, made.msecs = created, (created - int(created)) * 1000

        assert ours.formatTime(made, datefmt) == logging_s.formatTime(made, datefmt)
