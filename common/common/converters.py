"""URL path converters.

Registered as `id` by the common app (common/apps.py), so every service's urls can
say `<id:pk>`: a positive id a bigint column can hold. Anything else matches no route (404) rather
than reaching a query, where an id past 2^63 - 1 is a database error (SQLite raises
OverflowError for a foreign key compared with it).
"""

MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)
