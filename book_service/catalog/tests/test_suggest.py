"""Suggestions as you type (GET /api/books/suggest/?q=): titles and authors for a prefix,
and on PostgreSQL for a misspelling, accent- and case-insensitively."""

import pytest
from django.db import connection

from catalog.selectors import SUGGEST_SIZE

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")


@pytest.fixture
def demo_like(make_book):
    make_book("Dế Mèn phiêu lưu ký", author="Tô Hoài", category="Thiếu nhi")
    make_book("Mắt biếc", author="Nguyễn Nhật Ánh")
    make_book("Đất rừng phương Nam", author="Đoàn Giỏi", category="Thiếu nhi")
    make_book("Emma", author="Jane Austen", category="Classics")


def suggest(api_client, text: str) -> dict:
    response = api_client.get("/api/books/suggest/", {"q": text})
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.mark.parametrize("text", ["de men", "Dế Mèn", "DE", "dế mèn phiêu"])
def test_a_prefix_finds_the_title_in_any_case_or_accents(api_client, demo_like, text):
    assert suggest(api_client, text)["titles"][0]["title"] == "Dế Mèn phiêu lưu ký"


@pytest.mark.parametrize("text", ["to hoa", "Tô"])
def test_a_prefix_finds_the_author(api_client, demo_like, text):
    assert [author["name"] for author in suggest(api_client, text)["authors"]] == ["Tô Hoài"]


def test_a_word_inside_a_title_is_found(api_client, demo_like):
    assert "Đất rừng phương Nam" in [t["title"] for t in suggest(api_client, "phuong nam")["titles"]]


@postgresql_only
@pytest.mark.parametrize("text", ["dee men", "de mén phieu", "mat bec", "dat rung phuong nan"])
def test_a_misspelling_is_found_on_postgresql(api_client, demo_like, text):
    titles = [t["title"] for t in suggest(api_client, text)["titles"]]
    assert titles
    assert titles[0] in {"Dế Mèn phiêu lưu ký", "Mắt biếc", "Đất rừng phương Nam"}


@postgresql_only
def test_dee_men_suggests_de_men_first(api_client, demo_like):
    assert suggest(api_client, "dee men")["titles"][0]["title"] == "Dế Mèn phiêu lưu ký"


@postgresql_only
def test_a_misspelt_author_is_found_on_postgresql(api_client, demo_like):
    assert [a["name"] for a in suggest(api_client, "jane austin")["authors"]] == ["Jane Austen"]


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's simpler match")
def test_sqlite_finds_no_misspelling(api_client, demo_like):
    assert suggest(api_client, "dee men")["titles"] == []


def test_prefix_matches_come_first_and_there_are_at_most_eight(api_client, make_book):
    for i in range(SUGGEST_SIZE + 2):
        make_book(f"Về nhà {i}")
    make_book("Đường về nhà")

    titles = [t["title"] for t in suggest(api_client, "ve nha")["titles"]]

    assert len(titles) == SUGGEST_SIZE
    assert all(title.startswith("Về nhà") for title in titles)


def test_nothing_like_it_is_empty(api_client, demo_like):
    assert suggest(api_client, "zzzzqqq") == {"titles": [], "authors": []}


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "\u0301"}, {"q": "x" * 101}])
def test_nothing_to_suggest_for_is_400(api_client, db, params):
    response = api_client.get("/api/books/suggest/", params)

    assert response.status_code == 400
    assert "q" in response.json()["error"]["details"]


def test_a_new_book_is_suggested_by_the_next_read(api_client, make_book, django_capture_on_commit_callbacks):
    assert suggest(api_client, "so do")["titles"] == []

    with django_capture_on_commit_callbacks(execute=True):
        make_book("Số đỏ")

    assert [t["title"] for t in suggest(api_client, "so do")["titles"]] == ["Số đỏ"]


def test_the_schema_shows_suggest(api_client, db):
    operation = api_client.get("/api/schema/?format=json").json()["paths"]["/api/books/suggest/"]["get"]

    assert [p["name"] for p in operation["parameters"]] == ["q"]
