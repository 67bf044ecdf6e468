"""The catalog's words (catalog/words.py): kept as books and authors are written, and
on PostgreSQL the words a misspelt suggestion is corrected to."""

import pytest
from django.db import connection

from catalog.models import Author, Book, CatalogWord
from catalog.synthetic import books_generate
from catalog.tests.migrations import books_before
from catalog.words import corrected, words_of

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")


def kept() -> set[str]:
    return set(CatalogWord.objects.values_list("word", flat=True))


def suggested_titles(api_client, text: str) -> list[str]:
    response = api_client.get("/api/books/suggest/", {"q": text})
    assert response.status_code == 200, response.json()
    return [title["title"] for title in response.json()["titles"]]


def test_the_words_of_folded_titles_leave_out_numbers_and_punctuation():
    assert words_of(["sapiens: a brief history", "the art of computer programming, vol. 1"]) == {
        "sapiens", "a", "brief", "history", "the", "art", "of", "computer", "programming", "vol",
    }  # fmt: skip


def test_a_new_book_and_author_bring_their_words(make_book):
    make_book("Zéphyrine và đêm trăng", author="Trần Quang")

    assert {"zephyrine", "va", "dem", "trang", "tran", "quang"} <= kept()


def test_books_made_in_bulk_bring_their_words():
    books_generate(count=50)

    titles = Book.objects.values_list("title_folded", flat=True)
    names = Author.objects.values_list("name_folded", flat=True)
    assert words_of([*titles, *names]) == kept()  # every word, of both, and nothing else


@postgresql_only
def test_a_misspelt_common_word_finds_the_titles_holding_the_right_one(api_client, make_book):
    make_book("A history of love")
    make_book("Garden history")
    make_book("Winter garden")

    assert corrected("histry of") == ["history", "of"]
    assert suggested_titles(api_client, "histry") == ["A history of love", "Garden history"]


@postgresql_only
def test_a_word_written_since_is_corrected_to(api_client, make_book):
    assert suggested_titles(api_client, "zephyrin") == []

    make_book("Zéphyrine nights")

    assert suggested_titles(api_client, "zefyrine") == ["Zéphyrine nights"]


@postgresql_only
def test_a_word_like_none_of_the_catalog_s_suggests_nothing_near(api_client, make_book):
    make_book("A history of love")

    assert corrected("qxzvw") is None
    assert suggested_titles(api_client, "qxzvw") == []


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_words_of_the_books_already_there():
    books_before("0005_book_cover", {"Dế Mèn": "de men"}, author=("Tô Hoài", "to hoai"))

    assert {"de", "men", "to", "hoai"} <= kept()
