"""Accent- and case-folding for search: "Tiếng Việt" and "tieng viet" fold alike.

The folded text is stored beside the original (title_folded, name_folded), so
search is a plain substring match that PostgreSQL's trigram indexes can serve
and SQLite runs the same way.
"""

import unicodedata

# Letters that are not a base letter plus a combining mark, so NFD leaves them whole.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "ø": "o", "ł": "l", "ß": "ss"})


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
