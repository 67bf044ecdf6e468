"""The catalog's words (CatalogWord), and a misspelling corrected to them for suggestions.

A misspelt word shares trigrams with thousands of titles of a large catalog, and checking
each of them against it cost suggestions tens of milliseconds (docs/performance.md). The
catalog has far fewer distinct words than titles: each typed word that is not one of them
is corrected to the most alike of them (pg_trgm's trigram distance, served by a GiST
index on PostgreSQL), and the titles holding every corrected word are then found by the
trigram GIN index of the titles, as for a word typed right."""

import re
from collections.abc import Iterable

from django.db import connection

from catalog.models import CatalogWord

# Shorter words are kept as typed: a trigram says little about them.
CORRECTED_MIN_LENGTH = 3
# How alike (pg_trgm similarity, 0 to 1) a catalog word must be to replace a typed one.
CORRECTION_MIN_SIMILARITY = 0.25
_WORD = re.compile(r"\w+")


def words_of(folded_texts: Iterable[str]) -> set[str]:
    """The words of folded titles or names worth keeping: not a lone number."""
    return {word for text in folded_texts for word in _WORD.findall(text) if not word.isdigit() and len(word) <= 100}


def words_add(folded_texts: Iterable[str]) -> None:
    """Keeps the words of these folded titles or names (one statement; known ones skipped)."""
    words = words_of(folded_texts)
    if words:
        CatalogWord.objects.bulk_create([CatalogWord(word=word) for word in sorted(words)], ignore_conflicts=True)


def corrected(folded: str) -> list[str] | None:
    """The typed words, each one the catalog does not have (CORRECTED_MIN_LENGTH or more
    letters) replaced by its most alike catalog word; None when one of them has none
    alike enough. PostgreSQL only (pg_trgm)."""
    typed = _WORD.findall(folded)
    known = set(CatalogWord.objects.filter(word__in=typed).values_list("word", flat=True))
    result = []
    with connection.cursor() as cursor:
        for word in typed:
            if word in known or len(word) < CORRECTED_MIN_LENGTH:
                result.append(word)
                continue
            # `<->` is 1 - similarity; ORDER BY it with LIMIT walks the GiST index nearest first.
            cursor.execute(
                "SELECT word, similarity(word, %s) FROM catalog_catalogword ORDER BY word <-> %s LIMIT 1",
                [word, word],
            )
            nearest = cursor.fetchone()
            if nearest is None or nearest[1] < CORRECTION_MIN_SIMILARITY:
                return None
            result.append(nearest[0])
    return result
