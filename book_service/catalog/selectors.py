"""Reads of the catalog that are more than a one-line queryset."""

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from catalog.folding import fold
from catalog.models import Author, Book, Category

MAX_BATCH_IDS = 100


def book_list() -> QuerySet[Book]:
    return Book.objects.select_related("author", "category")


def books_by_ids(ids: list[int]) -> QuerySet[Book]:
    """The books among `ids` that exist, in one query."""
    return book_list().filter(id__in=ids)


def book_search(term: str) -> QuerySet[Book]:
    """Books matching an exact id, or part of the title, author or category name,
    accent- and case-insensitively; best matches first:
    exact id (0), title starts with the term (1), title contains it (2), author or category (3)."""
    folded = fold(term)
    exact_id = int(term) if term.strip().isdigit() and len(term.strip()) < 19 else None
    # Matching authors and categories are looked up first (small tables, trigram
    # indexes), so the books query is an OR of indexed conditions on one table that
    # PostgreSQL answers with a BitmapOr instead of scanning a three-table join.
    author_ids = list(Author.objects.filter(name_folded__contains=folded).values_list("id", flat=True))
    category_ids = list(Category.objects.filter(name_folded__contains=folded).values_list("id", flat=True))
    match = Q(title_folded__contains=folded) | Q(author_id__in=author_ids) | Q(category_id__in=category_ids)
    whens = []
    if exact_id is not None:
        match |= Q(id=exact_id)
        whens.append(When(id=exact_id, then=Value(0)))
    whens += [
        When(title_folded__startswith=folded, then=Value(1)),
        When(title_folded__contains=folded, then=Value(2)),
    ]
    return (
        book_list()
        .filter(match)
        .annotate(rank=Case(*whens, default=Value(3), output_field=IntegerField()))
        .order_by("rank", "title_folded", "id")
    )
