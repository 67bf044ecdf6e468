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


def test_pages_run_across_the_ranking_tiers_in_order(make_book, api_client):
    make_book("Garden party")  # title starts with the term
    make_book("Secret garden")  # title contains it
    make_book("A walk in the garden")  # title contains it
    make_book("Roses", category="Garden and home")  # category matches
    pages = []
    url, params = "/api/books/search/", {"search_term": "garden", "page_size": 2}
    while url:
        body = api_client.get(url, params).json()
        assert body["count"] == 4
        assert body["count_exact"] is True
        pages.append([book["title"] for book in body["results"]])
        url, params = body["next"], None
    assert pages == [["Garden party", "A walk in the garden"], ["Secret garden", "Roses"]]
    second = api_client.get("/api/books/search/", {"search_term": "garden", "page_size": 2, "page": 2}).json()
    assert "page=" not in second["previous"]


def test_the_count_stops_at_the_cap_and_says_so(make_book, api_client, monkeypatch):
    from catalog.selectors import BookSearch

    monkeypatch.setattr(BookSearch, "COUNT_CAP", 3)
    for i in range(5):
        make_book(f"River {i}")
    first = api_client.get("/api/books/search/", {"search_term": "river", "page_size": 2}).json()
    assert (first["count"], first["count_exact"]) == (3, False)
    second = api_client.get(first["next"]).json()
    assert [book["title"] for book in second["results"]] == ["River 2"]
    assert second["next"] is None
    assert api_client.get("/api/books/search/", {"search_term": "river", "page_size": 2, "page": 3}).status_code == 404


@pytest.mark.parametrize("page", ["0", "-1", "abc", "9"])
def test_a_page_out_of_range_is_404(make_book, api_client, page):
    make_book("Only one")
    response = api_client.get("/api/books/search/", {"search_term": "only", "page": page})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_no_match_is_an_empty_first_page(api_client, db):
    body = api_client.get("/api/books/search/", {"search_term": "nothing here"}).json()
    facets = body.pop("facets")
    assert body == {"count": 0, "count_exact": True, "next": None, "previous": None, "results": []}
    assert (facets["categories"], facets["authors"]) == ([], [])
    assert {band["count"] for band in facets["price_bands"]} == {0}


def test_a_term_of_only_combining_marks_is_400(api_client, db):
    response = api_client.get("/api/books/search/", {"search_term": "\u0301\u0300"})
    assert response.status_code == 400
    assert "search_term" in response.json()["error"]["details"]


def test_title_prefix_matching_is_exact_at_the_range_edges(make_book, api_client):
    make_book("Ab")
    make_book("Abc")
    make_book("Ac")  # just past the prefix range of "ab"
    make_book("Aa")  # just before it
    assert titles(api_client.get("/api/books/search/", {"search_term": "ab"})) == ["Ab", "Abc"]


@pytest.mark.parametrize("term", ["viet", "d", "van", "exact id"])
def test_ranking_by_tier_queries_matches_ranking_in_python(make_book, api_client, monkeypatch, settings, term):
    """Below the count cap matches are ranked in Python; at the cap, by one query per
    tier. Both must give the same order."""
    from catalog.selectors import BookSearch

    settings.CATALOG_CACHE_SECONDS = 0  # the same search twice, answered by two ways of ranking

    books = [
        make_book("Việt Nam sử lược", author="Trần Trọng Kim", category="Lịch sử"),
        make_book("Tiếng Việt", author="Đoàn Văn", category="Ngôn ngữ"),
        make_book("Dế mèn", author="Tô Hoài", category="Thiếu nhi"),
        make_book("viet", author="Anon", category="Văn học"),
        make_book("Đất rừng", author="Đoàn Giỏi", category="Thiếu nhi"),
        make_book("Other", author="Nobody", category="Việt ngữ"),
    ]
    if term == "exact id":
        term = str(books[3].id)
        make_book(f"Tập {term}")
    params = {"search_term": term, "page_size": 100}
    in_python = api_client.get("/api/books/search/", params).json()
    assert in_python["count_exact"] is True
    monkeypatch.setattr(BookSearch, "COUNT_CAP", in_python["count"])
    by_tier = api_client.get("/api/books/search/", params).json()
    assert by_tier["count_exact"] is False
    assert [b["id"] for b in by_tier["results"]] == [b["id"] for b in in_python["results"]]
    assert len(in_python["results"]) >= 2
