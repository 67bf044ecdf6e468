"""Reads of the catalog that are more than a one-line queryset."""

import bisect
import datetime
import functools
import sys
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from rest_framework.generics import get_object_or_404

from catalog import statements
from catalog.folding import fold
from catalog.isbn import isbn_or_none
from catalog.models import Author, Book, Category
from catalog.words import corrected


def author_list(*, name: str = "") -> QuerySet[Author]:
    """Authors whose name holds `name`, in any case or accents (2.1.5)."""
    authors = Author.objects.all()
    return authors.filter(name_folded__contains=fold(name)) if name else authors


def category_list(*, name: str = "") -> QuerySet[Category]:
    """Categories whose name holds `name`, in any case or accents (2.1.6)."""
    categories = Category.objects.all()
    return categories.filter(name_folded__contains=fold(name)) if name else categories


# ?sort= of lists and searches (a search's default, relevance, is BookSearch's ranking).
SORTS: dict[str, tuple[str, ...]] = {
    "price": ("price", "id"),
    "-price": ("-price", "id"),
    "newest": ("-published_date", "id"),
    "title": ("title_folded", "id"),
}
RELEVANCE = "relevance"


def book_filter(
    *,
    author: int | None = None,
    category: int | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    in_stock: bool | None = None,
) -> Q:
    """The books a list or search is narrowed to; None: not narrowed by that."""
    where = Q(
        **{
            lookup: value
            for lookup, value in {
                "author_id": author,
                "category_id": category,
                "price__gte": min_price,
                "price__lte": max_price,
                "published_date__gte": None if year_from is None else datetime.date(year_from, 1, 1),
                "published_date__lte": None if year_to is None else datetime.date(year_to, 12, 31),
                "in_stock": in_stock,
            }.items()
            if value is not None
        }
    )
    return where


# What a book's answer shows (serializers.book_answer), read as values: the reads build no
# model objects (three a book, with its author and category) only to serialize them.
BOOK_ROW = (
    "id",
    "title",
    "author_id",
    "author__name",
    "category_id",
    "category__name",
    "published_date",
    "price",
    "description",
    "isbn",
    "language",
    "page_count",
    "publisher",
    "cover",
    "in_stock",
    "created_at",
    "updated_at",
)

BookRow = dict[str, Any]


def _book_rows() -> QuerySet[Book, BookRow]:
    """Books' BOOK_ROW, with their author's and category's names, in one query."""
    return Book.objects.values(*BOOK_ROW)


def book_list(*, order_by: tuple[str, ...] = ("id",), **filters: Any) -> "BookList":
    """Books' rows (BOOK_ROW), narrowed by book_filter's `filters` and ordered (id breaks ties)."""
    return BookList(order_by=order_by, filters=tuple(sorted(filters.items())))


class BookList:
    """book_list's rows, read as a paginator reads them (count(), then a slice), each
    statement written by the ORM once per process for its filters, order and page
    (catalog/statements.py): the shop reads the same few pages again and again."""

    def __init__(self, *, order_by: tuple[str, ...], filters: tuple[tuple[str, Any], ...]) -> None:
        self.order_by = order_by
        self.filters = filters

    def count(self) -> int:
        return statements.counted(_list_count(self.filters))

    def __getitem__(self, page: slice) -> list[BookRow]:
        if page.start == page.stop:  # the one page of an empty list
            return []
        return _list_page(self.filters, self.order_by, page.start, page.stop).rows()


@functools.lru_cache(maxsize=256)
def _list_count(filters: tuple[tuple[str, Any], ...]) -> tuple[str, tuple[Any, ...]]:
    return statements.count_statement(Book.objects.filter(book_filter(**dict(filters))))


@functools.lru_cache(maxsize=1024)
def _list_page(
    filters: tuple[tuple[str, Any], ...], order_by: tuple[str, ...], start: int | None, stop: int | None
) -> statements.Statement:
    rows = _book_rows().filter(book_filter(**dict(filters))).order_by(*order_by)
    return statements.Statement.of(rows[start:stop])


def book_get(pk: int) -> Book:
    """One book with its author and category (to write it), or the 404."""
    return get_object_or_404(Book.objects.select_related("author", "category"), pk=pk)


_book_row = statements.ByKeys(lambda keys: _book_rows().filter(pk=keys[0]))
_books_by_ids = statements.ByKeys(lambda keys: _book_rows().filter(id__in=keys))


def book_row(pk: int) -> BookRow:
    """One book's row (BOOK_ROW), or the 404."""
    found = _book_row([pk])
    if not found:
        raise Http404
    return found[0]


def books_by_ids(ids: list[int]) -> list[BookRow]:
    """The rows (BOOK_ROW) of the books among `ids` (distinct) that exist, in one query."""
    return _books_by_ids(ids) if ids else []


def _title_starts(folded: str) -> Q:
    # A range on the "C"-collated column instead of LIKE 'term%', so the plain
    # btree index serves it on both databases, in the same order as Python's.
    last = ord(folded[-1])
    if last == sys.maxunicode:
        return Q(title_folded__startswith=folded)
    return Q(title_folded__gte=folded, title_folded__lt=folded[:-1] + chr(last + 1))


# The authors and categories whose (folded) name holds a search's term.
_authors_holding = statements.ByPattern(
    lambda text: Author.objects.filter(name_folded__contains=text).order_by().values("id")
)
_categories_holding = statements.ByPattern(
    lambda text: Category.objects.filter(name_folded__contains=text).order_by().values("id")
)


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

    Filters (`where`) narrow every one of those queries; another `sort` than relevance
    reads the page from the matches in that order instead of the tiers.
    """

    COUNT_CAP = 1000

    def __init__(self, term: str, *, where: Q | None = None, sort: str = RELEVANCE):
        """`where`: book_filter's narrowing; `sort`: RELEVANCE or one of SORTS."""
        self.where = where or Q()
        self.sort = sort
        self.folded = fold(term)
        digits = term.strip()
        self.exact_ids = {int(digits)} if digits.isdigit() and len(digits) < 19 else set()
        if isbn := isbn_or_none(term):  # the one book with this ISBN ranks as an exact id
            self.exact_ids.update(Book.objects.filter(isbn=isbn).values_list("id", flat=True))
        # Matching authors and categories are looked up first (small tables), so each
        # books query filters indexed columns of one table instead of a join.
        self.author_ids = [row["id"] for row in _authors_holding(self.folded)]
        self.category_ids = [row["id"] for row in _categories_holding(self.folded)]
        # What ranking and facets need of each, in the one query.
        first = _first_matches(self._matched_by(), self.where, self.COUNT_CAP).rows()
        self.first_matches: list[tuple[int, str, int, int, Decimal]] = [
            (row["id"], row["title_folded"], row["category_id"], row["author_id"], row["price"]) for row in first
        ]

    @functools.cached_property
    def matches(self) -> QuerySet[Book]:
        return Book.objects.filter(self._matched_by(), self.where)

    def _matched_by(self) -> Q:
        match = Q(title_folded__contains=self.folded) | self._by_author_or_category()
        if self.exact_ids:
            match |= Q(id__in=sorted(self.exact_ids))
        return match

    def count(self) -> int:
        """The number of matches, or COUNT_CAP when there are at least that many."""
        return len(self.first_matches)

    def page(self, offset: int, limit: int) -> list[BookRow]:
        if self.sort != RELEVANCE:  # an index on the sort's column (or a sort of the few matches)
            ranked = list(self.matches.order_by(*SORTS[self.sort]).values_list("id", flat=True)[: offset + limit])
        elif len(self.first_matches) < self.COUNT_CAP:
            ranked = [match[0] for match in sorted(self.first_matches, key=self._rank)]
        else:
            ranked = self._ranked_ids_by_tier(offset + limit)
        page_ids = ranked[offset : offset + limit]
        books = {row["id"]: row for row in books_by_ids(page_ids)}
        return [books[book_id] for book_id in page_ids if book_id in books]

    def _rank(self, match: tuple[int, str, int, int, Decimal]) -> tuple[int, str, int]:
        book_id, title = match[0], match[1]
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
        books = Book.objects.filter(self.where).exclude(id__in=self.exact_ids)
        tiers = [Book.objects.filter(self.where, id__in=self.exact_ids)] if self.exact_ids else []
        tiers.append(books.filter(self._title_starts()))
        tiers.append(books.filter(title_folded__contains=self.folded).exclude(self._title_starts()))
        if self.author_ids or self.category_ids:
            tiers.append(books.filter(self._by_author_or_category()).exclude(title_folded__contains=self.folded))
        return [tier.order_by("title_folded", "id") for tier in tiers]

    def facets(self) -> dict[str, list[dict[str, Any]]]:
        """book_facets of the matches count() counts: every one below COUNT_CAP; at the
        cap, the COUNT_CAP read (unranked), so that a common word costs no more."""
        return book_facets([(category, author, price) for _, _, category, author, price in self.first_matches])

    def _title_starts(self) -> Q:
        return _title_starts(self.folded)

    def _by_author_or_category(self) -> Q:
        return Q(author_id__in=self.author_ids) | Q(category_id__in=self.category_ids)


@functools.lru_cache(maxsize=256)
def _first_matches(match: Q, where: Q, cap: int) -> statements.Statement:
    """BookSearch's read of its first matches, written by the ORM once per process for
    each search (its term, the authors and categories it found, its filters): the shop
    asks the same searches again after every write to the catalog."""
    matches = Book.objects.filter(match, where).order_by()
    return statements.Statement.of(matches.values("id", "title_folded", "category_id", "author_id", "price")[:cap])


FACET_SIZE = 20  # categories and authors per facet, the most books first
# Where the price bands of a search's facets start: [0, 10), [10, 25), ... [100000, no end).
# The demo catalog's Vietnamese prices (in dong) fall in the top three, the English ones
# (in dollars) in the first five.
PRICE_BAND_EDGES = (Decimal(0), Decimal(10), Decimal(25), Decimal(50), Decimal(100), Decimal(50_000), Decimal(100_000))


def book_facets(books: list[tuple[int, int, Decimal]]) -> dict[str, list[dict[str, Any]]]:
    """How many of `books` (category id, author id, price) each category and author has
    (the FACET_SIZE with most), and each price band; counted here, named in two queries."""
    bands = [0] * len(PRICE_BAND_EDGES)
    for _, _, price in books:
        bands[bisect.bisect_right(PRICE_BAND_EDGES, price) - 1] += 1
    highs = [*PRICE_BAND_EDGES[1:], None]
    return {
        "categories": _facet(Category, Counter(category for category, _, _ in books)),
        "authors": _facet(Author, Counter(author for _, author, _ in books)),
        "price_bands": [
            {"min_price": f"{low:.2f}", "max_price": None if high is None else f"{high:.2f}", "count": count}
            for low, high, count in zip(PRICE_BAND_EDGES, highs, bands, strict=True)
        ],
    }


def _facet(model: type[Author] | type[Category], counts: Counter[int]) -> list[dict[str, Any]]:
    if not counts:
        return []
    # Named: the ids that can be among the FACET_SIZE with most books (the rest have fewer
    # than the FACET_SIZE-th most; names only break ties).
    most = sorted(counts.values(), reverse=True)[FACET_SIZE - 1] if len(counts) > FACET_SIZE else 0
    names = {row["id"]: row["name"] for row in _names_of[model]([i for i, count in counts.items() if count >= most])}
    ranked = sorted(counts.items(), key=lambda item: (-item[1], names.get(item[0], ""), item[0]))
    return [{"id": i, "name": names[i], "count": count} for i, count in ranked if i in names][:FACET_SIZE]


def _names_read(model: type[Author] | type[Category]) -> statements.ByKeys:
    return statements.ByKeys(lambda keys: model.objects.filter(id__in=keys).values("id", "name"))


_names_of = {Author: _names_read(Author), Category: _names_read(Category)}


SUGGEST_SIZE = 8  # titles, and authors, per suggestion
FUZZY_MIN_LENGTH = 3  # shorter, a trigram match would be almost any title


def book_suggest(text: str) -> dict[str, list[dict[str, Any]]]:
    """Titles and authors for what a customer is typing, accent- and case-insensitively:
    those starting with it first, then (from FUZZY_MIN_LENGTH characters) those holding
    its words: on PostgreSQL each misspelt word corrected to the catalog's nearest word
    first ("dee men" to "de men": catalog/words.py); on SQLite, those containing it."""
    folded = fold(text)
    words = functools.cache(lambda: corrected(folded))  # asked once, by titles or authors, if at all
    titles = _suggested(Book.objects.all(), "title_folded", _title_starts(folded), folded, "title", words)
    starts = Q(name_folded__startswith=folded)
    authors = _suggested(Author.objects.all(), "name_folded", starts, folded, "name", words)
    return {"titles": titles, "authors": authors}


def _suggested(
    rows: QuerySet, column: str, starts: Q, folded: str, shown: str, corrected_words: Callable[[], list[str] | None]
) -> list[dict[str, Any]]:
    found = list(rows.filter(starts).order_by(column, "id").values("id", shown)[:SUGGEST_SIZE])
    if len(found) == SUGGEST_SIZE or len(folded) < FUZZY_MIN_LENGTH:
        return found
    others = rows.exclude(id__in=[row["id"] for row in found])
    if connection.vendor == "postgresql":
        # Each misspelt word corrected to the catalog's nearest (catalog/words.py); then the
        # rows holding every word, which the trigram GIN index finds as for a search.
        words = corrected_words()
        if words is None:
            return found
        near = others
        for word in words:
            near = near.filter(**{f"{column}__contains": word})
    else:
        near = others.filter(**{f"{column}__contains": folded})
    return found + list(near.order_by(column, "id").values("id", shown)[: SUGGEST_SIZE - len(found)])
