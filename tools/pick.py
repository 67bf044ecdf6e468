"""Choosing what a tool runs from the names on its command line."""

import sys
from typing import TypeVar

T = TypeVar("T")


def pick(names: list[str], table: dict[str, T], *, what: str) -> list[T] | None:
    """The entries of `table` named (all of them when none is), or None after saying on
    stderr which names it does not know and what there is to choose from."""
    unknown = [name for name in names if name not in table]
    if unknown:
        print(f"unknown {what}(s): {', '.join(unknown)}; choose from {', '.join(table)}", file=sys.stderr)
        return None
    return [table[name] for name in (names or table)]
