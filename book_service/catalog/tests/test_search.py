import pytest

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [book["title"] for book in response.json()["results"]]


def test_ranking_exact_id_then_title_start_then_title_contains_then_author_or_category(make_book, api_client):
    contains = make_book("Học tiếng Việt mỗi ngày")
    starts = make_book("Tiếng Việt cơ bản")
    by_author = make_book("Thơ", author="Tiếng Việt Group")
    by_category = make_book("Ngữ pháp", category="Tiếng Việt")
    assert titles(api_client.get("/api/books/search/", {"search_term": "tieng viet"})) == [
        starts.title,
        contains.title,
        *sorted([by_author.title, by_category.title], key=lambda t: t.lower()),
    ]


def test_an_exact_id_comes_first(make_book, api_client):
    target = make_book("Nothing alike")
    make_book(f"Chapter {target.id}")  # contains the digits in its title
    found = titles(api_client.get("/api/books/search/", {"search_term": str(target.id)}))
    assert found[0] == "Nothing alike"
    assert f"Chapter {target.id}" in found


@pytest.mark.parametrize("term", ["d", "DAT RUNG", "đất", "Đất Rừng", "doan gioi", "phuong"])
def test_accent_and_case_insensitive(make_book, api_client, term):
    make_book("Đất rừng phương Nam", author="Đoàn Giỏi", category="Thiếu nhi")
    make_book("Other book", author="Someone", category="Misc")
    assert titles(api_client.get("/api/books/search/", {"search_term": term})) == ["Đất rừng phương Nam"]


def test_search_by_category_name(make_book, api_client):
    make_book("A book", category="Thiếu nhi")
    make_book("Another", category="Other")
    assert titles(api_client.get("/api/books/search/", {"search_term": "thieu nhi"})) == ["A book"]


@pytest.mark.parametrize("params", [{}, {"search_term": ""}, {"search_term": "   "}])
def test_missing_or_blank_term_is_400(api_client, params):
    response = api_client.get("/api/books/search/", params)
    assert response.status_code == 400
    assert "search_term" in response.json()["error"]["details"]


def test_search_is_paginated(make_book, api_client):
    for i in range(3):
        make_book(f"Series {i}")
    body = api_client.get("/api/books/search/", {"search_term": "series", "page_size": 2}).json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]
