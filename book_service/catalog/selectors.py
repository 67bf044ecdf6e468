"""Reads of the catalog that are more than a one-line queryset."""

import sys
from decimal import Decimal

from django.db.models import Q, QuerySet
from rest_framework.generics import get_object_or_404

from catalog.folding import fold
from catalog.isbn import isbn_or_none
from catalog.models import Author, Book, Category
from common.db import filter_given


def author_list(*, name: str = "") -> QuerySet[Author]:
    """Authors whose name holds `name`, in any case or accents (2.1.5)."""
    authors = Author.objects.all()
    return authors.filter(name_folded__contains=fold(name)) if name else authors


def category_list(*, name: str = "") -> QuerySet[Category]:
    """Categories whose name holds `name`, in any case or accents (2.1.6)."""
    categories = Category.objects.all()
    return categories.filter(name_folded__contains=fold(name)) if name else categories


def book_list(
    *,
    author: int | None = None,
    category: int | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    ordering: str = "id",
) -> QuerySet[Book]:
    """Books with their author and category in one query, filtered and ordered (id breaks ties)."""
    books = filter_given(
        Book.objects.select_related("author", "category"),
        author_id=author,
        category_id=category,
        price__gte=min_price,
        price__lte=max_price,
    )
    return books.order_by(ordering, "id")


def book_get(pk: int) -> Book:
    """One book with its author and category, or the 404."""
    return get_object_or_404(book_list(), pk=pk)


def books_by_ids(ids: list[int]) -> QuerySet[Book]:
    """The books among `ids` that exist, in one query."""
    return book_list().filter(id__in=ids)


class BookSearch:
    """Books matching a term: an exact id, or part of the title, author or category
    name, accent- and case-insensitively; best matches first.

    Matches are ranked in four tiers, each ordered by title then id: the exact id (or
    the book whose ISBN the term is, with or without hyphens, ISBN-10 or -13),
    titles starting with the term, titles containing it elsewhere, and books whose
    author or category matches. One query reads the ids and titles of up to
    COUNT_CAP matches. Below the cap that is every match: the count is exact and
    they are ranked here. At the cap (a common word) the count stops there and a
    page is read tier by tier instead, each tier walking the title index in order
    and stopping after the rows the page needs. Either way the cost follows the
    page and the cap, not the size of the catalog.
    """

    COUNT_CAP = 1000

    def __init__(self, term: str):
        self.folded = fold(term)
        digits = term.strip()
        self.exact_ids = {int(digits)} if digits.isdigit() and len(digits) < 19 else set()
        if isbn := isbn_or_none(term):  # the one book with this ISBN ranks as an exact id
            self.exact_ids.update(Book.objects.filter(isbn=isbn).values_list("id", flat=True))
        # Matching authors and categories are looked up first (small tables), so each
        # books query filters indexed columns of one table instead of a join.
        self.author_ids = list(
            Author.objects.filter(name_folded__contains=self.folded).order_by().values_list("id", flat=True)
        )
        self.category_ids = list(
            Category.objects.filter(name_folded__contains=self.folded).order_by().values_list("id", flat=True)
        )
        match = Q(title_folded__contains=self.folded) | self._by_author_or_category()
        if self.exact_ids:
            match |= Q(id__in=self.exact_ids)
        self.first_matches = list(
            Book.objects.filter(match).order_by().values_list("id", "title_folded")[: self.COUNT_CAP]
        )

    def count(self) -> int:
        """The number of matches, or COUNT_CAP when there are at least that many."""
        return len(self.first_matches)

    def page(self, offset: int, limit: int) -> list[Book]:
        if len(self.first_matches) < self.COUNT_CAP:
            ranked = [book_id for book_id, _ in sorted(self.first_matches, key=self._rank)]
        else:
            ranked = self._ranked_ids_by_tier(offset + limit)
        page_ids = ranked[offset : offset + limit]
        books = book_list().in_bulk(page_ids)
        return [books[book_id] for book_id in page_ids if book_id in books]

    def _rank(self, match: tuple[int, str]) -> tuple[int, str, int]:
        book_id, title = match
        if book_id in self.exact_ids:
            return (0, title, book_id)
        if title.startswith(self.folded):
            return (1, title, book_id)
        return (2 if self.folded in title else 3, title, book_id)

    def _ranked_ids_by_tier(self, wanted: int) -> list[int]:
        ids: list[int] = []
        for tier in self._tiers():
            ids += tier.values_list("id", flat=True)[: wanted - len(ids)]
            if len(ids) >= wanted:
                break
        return ids

    def _tiers(self) -> list[QuerySet[Book]]:
        """The same ranking as _rank, as queries."""
        books = Book.objects.exclude(id__in=self.exact_ids)
        tiers = [Book.objects.filter(id__in=self.exact_ids)] if self.exact_ids else []
        tiers.append(books.filter(self._title_starts()))
        tiers.append(books.filter(title_folded__contains=self.folded).exclude(self._title_starts()))
        if self.author_ids or self.category_ids:
            tiers.append(books.filter(self._by_author_or_category()).exclude(title_folded__contains=self.folded))
        return [tier.order_by("title_folded", "id") for tier in tiers]

    def _title_starts(self) -> Q:
        # A range on the "C"-collated column instead of LIKE 'term%', so the plain
        # btree index serves it on both databases, in the same order as Python's.
        last = ord(self.folded[-1])
        if last == sys.maxunicode:
            return Q(title_folded__startswith=self.folded)
        return Q(title_folded__gte=self.folded, title_folded__lt=self.folded[:-1] + chr(last + 1))

    def _by_author_or_category(self) -> Q:
        return Q(author_id__in=self.author_ids) | Q(category_id__in=self.category_ids)
