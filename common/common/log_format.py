"""Log lines that a request cannot forge.

A log message often carries something a client chose (a path, a header, a user
name). A line break in it would start a line of the client's making that looks like
ours, and a terminal escape could hide or rewrite what is shown. So every log record
is one line with its control characters written as escapes (`\\r`, `\\x1b`,
`\\u2028`), and the lines of a traceback are indented, so none of them can pass for
a record of its own either.
"""

import logging
import time
from types import TracebackType


def escape_controls(text: str) -> str:
    """`text` with every character that is not printable, the space excepted, escaped."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii") for ch in text)


class OneLineFormatter(logging.Formatter):
    # The last second written and its text: the records of one second share all of
    # asctime but its milliseconds, and strftime is most of what formatting a time costs.
    _second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt or not self.default_msec_format:
            return super().formatTime(record, datefmt)
        second, text = self._second
        if second != int(record.created):
            second = int(record.created)
            text = time.strftime(self.default_time_format, self.converter(second))
            self._second = (second, text)
        return self.default_msec_format % (text, record.msecs)

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

    def formatException(
        self, ei: tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
    ) -> str:
        return "\n".join(f"    {escape_controls(line)}" for line in super().formatException(ei).splitlines())

    def formatStack(self, stack_info: str) -> str:
        return "\n".join(f"    {escape_controls(line)}" for line in stack_info.splitlines())
