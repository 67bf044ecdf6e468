"""Book rows read with the SQL the ORM compiled once (catalog/statements.py): the values
a queryset gives, the same types, each read with its own parameters, on either database."""

import datetime
from decimal import Decimal

import pytest

from catalog import selectors
from catalog.models import Book
from catalog.selectors import BOOK_ROW


def orm_rows(queryset) -> list[dict]:
    return list(queryset.values(*BOOK_ROW))


def typed(rows: list[dict]) -> list[dict]:
    return [{name: (value, type(value)) for name, value in row.items()} for row in rows]


@pytest.fixture
def books(make_book):
    made = [
        make_book(f"Book {n}", author=f"Author {n % 3}", category=f"Category {n % 2}", price=f"{10 + n}.50")
        for n in range(7)
    ]
    Book.objects.filter(pk=made[2].pk).update(in_stock=True, published_date=datetime.date(1999, 5, 4))
    return made


FILTERS = [
    {},
    {"min_price": Decimal("12.00"), "max_price": Decimal("15.50")},
    {"year_from": 1999, "year_to": 1999},
    {"in_stock": False},
]


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("order_by", [("id",), ("-price", "id"), ("title_folded", "id")])
def test_a_page_and_its_count_are_what_the_orm_reads(books, filters, order_by):
    listed = selectors.book_list(order_by=order_by, **filters)
    queryset = Book.objects.filter(selectors.book_filter(**filters)).order_by(*order_by)

    for _ in range(2):  # compiled, then from the statement kept
        assert listed.count() == queryset.count()
        for start, stop in [(0, 3), (3, 6), (6, 9), (0, 20)]:
            assert typed(listed[start:stop]) == typed(orm_rows(queryset[start:stop]))


def test_a_filter_of_other_values_reads_with_its_own_values(books):
    cheap = selectors.book_list(max_price=Decimal("12.00"))
    dear = selectors.book_list(max_price=Decimal("15.00"))

    assert [row["price"] for row in cheap[0:20]] == [Decimal("10.50"), Decimal("11.50")]
    assert dear.count() == 5


def test_one_book_and_a_batch_are_what_the_orm_reads_each_with_its_own_keys(books):
    for book in books:
        assert typed([selectors.book_row(book.pk)]) == typed(orm_rows(Book.objects.filter(pk=book.pk)))
    ids = [book.pk for book in books]
    for chunk in ([ids[0], ids[2]], [ids[1], ids[3]], ids, [ids[4], 10**9]):
        read = sorted(selectors.books_by_ids(chunk), key=lambda row: row["id"])
        assert typed(read) == typed(orm_rows(Book.objects.filter(id__in=chunk).order_by("id")))


def test_no_book_is_a_404_and_no_ids_no_rows(db):
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.book_row(10**9)
    assert selectors.books_by_ids([]) == []
    assert selectors.book_list().count() == 0
    assert selectors.book_list()[0:0] == []


@pytest.mark.parametrize("term", ["an", "50%", "a_b", "back\\slash", "ngô", "x"])
def test_the_authors_and_categories_a_term_is_in_are_what_the_orm_finds(make_book, term):
    from catalog.folding import fold
    from catalog.models import Author, Category

    for name in ["Anh Đức", "50% off", "a_b c", "axb", "back\\slash", "Ngô Tất Tố", "Nam Cao"]:
        make_book(f"Book by {name}", author=name, category=name)
    folded = fold(term)

    for _ in range(2):  # compiled, then from the statement kept
        for holding, model in ((selectors._authors_holding, Author), (selectors._categories_holding, Category)):
            found = sorted(row["id"] for row in holding(folded))
            assert found == sorted(model.objects.filter(name_folded__contains=folded).values_list("id", flat=True))


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("term", ["book", "author 1", "category 0", "3"])
def test_a_searchs_first_matches_are_what_the_orm_reads(books, term, filters):
    for _ in range(2):  # compiled, then from the statement kept
        search = selectors.BookSearch(term, where=selectors.book_filter(**filters))
        orm = search.matches.order_by().values_list("id", "title_folded", "category_id", "author_id", "price")
        assert sorted(search.first_matches) == sorted(orm)
