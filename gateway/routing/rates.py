"""Rates such as "10/min", parsed from the environment (no Django models here, so
settings can import it)."""

import re
from dataclasses import dataclass

from common.settings import ImproperlyConfiguredEnv, env_str

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """'10/min' -> Rate(10, 60); units s, min, hour (and their spellings above)."""
        match = _RATE.match(text.lower())
        if not match or match.group(2) not in _PERIODS:
            raise ValueError(f"not a rate: {text!r} (use e.g. 10/min, 100/hour)")
        return cls(int(match.group(1)), _PERIODS[match.group(2)])


def env_rate(name: str, default: str) -> Rate:
    try:
        return Rate.parse(env_str(name, default))
    except ValueError as exc:
        raise ImproperlyConfiguredEnv(f"{name}: {exc}") from None
