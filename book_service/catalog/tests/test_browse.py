"""Browsing like a shop: ?sort= and filters on the list and search, each book's in_stock
(kept from inventory's stock.availability_changed, so no read asks it), and search facets."""

import datetime
import io
import uuid

import pytest
import requests
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog import services
from catalog.selectors import FACET_SIZE, PRICE_BAND_EDGES

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(make_book):
    """Four books: two authors, two categories, prices 5 to 120, published 1990 to 2020."""
    books = {
        "cheap": make_book("Ăn mày dĩ vãng", author="Chu Lai", category="Văn học", price="5.00"),
        "mid": make_book("Bến không chồng", author="Dương Hướng", category="Văn học", price="30.00"),
        "dear": make_book("Cát bụi chân ai", author="Chu Lai", category="Hồi ký", price="120.00"),
        "new": make_book("Đảo mộng mơ", author="Dương Hướng", category="Hồi ký", price="12.50"),
    }
    for key, year in {"cheap": 1990, "mid": 2000, "dear": 2010, "new": 2020}.items():
        services.book_update(book=books[key], published_date=datetime.date(year, 6, 1))
    return books


def titles(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [book["title"] for book in response.json()["results"]]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [book["id"] for book in response.json()["results"]]


@pytest.mark.parametrize("path", ["/api/books/", "/api/books/search/"])
@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("price", ["cheap", "new", "mid", "dear"]),
        ("-price", ["dear", "mid", "new", "cheap"]),
        ("newest", ["new", "dear", "mid", "cheap"]),
        ("title", ["cheap", "mid", "dear", "new"]),  # Ă, B, C, Đ: folded, so Đảo comes after Cát
    ],
)
def test_sort(api_client, shelf, path, sort, order):
    query = {"sort": sort, "search_term": "a"} if path.endswith("search/") else {"sort": sort}
    shelf_ids = {key: book.id for key, book in shelf.items()}

    assert ids(api_client.get(path, query)) == [shelf_ids[key] for key in order]


def test_search_sorts_by_relevance_by_default(api_client, make_book):
    contains = make_book("Một ngày mưa")
    starts = make_book("Mưa đỏ")

    assert ids(api_client.get("/api/books/search/", {"search_term": "mua"})) == [starts.id, contains.id]
    assert ids(api_client.get("/api/books/search/", {"search_term": "mua", "sort": "relevance"})) == [
        starts.id,
        contains.id,
    ]


@pytest.mark.parametrize("path", ["/api/books/", "/api/books/search/"])
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"min_price": "10", "max_price": "30"}, {"mid", "new"}),
        ({"min_price": "120"}, {"dear"}),
        ({"published_year": "2000"}, {"mid"}),
        ({"published_year_min": "2000", "published_year_max": "2010"}, {"mid", "dear"}),
        ({"published_year_min": "2010"}, {"dear", "new"}),
        ({"published_year_max": "1995"}, {"cheap"}),
    ],
)
def test_filters(api_client, shelf, path, filters, expected):
    query = {**filters, "search_term": "a"} if path.endswith("search/") else filters

    assert set(ids(api_client.get(path, query))) == {shelf[key].id for key in expected}


@pytest.mark.parametrize("path", ["/api/books/", "/api/books/search/"])
def test_filters_by_author_and_category(api_client, shelf, path):
    base = {"search_term": "a"} if path.endswith("search/") else {}
    chu_lai, memoirs = shelf["cheap"].author_id, shelf["dear"].category_id

    assert set(ids(api_client.get(path, {**base, "author": chu_lai}))) == {shelf["cheap"].id, shelf["dear"].id}
    assert ids(api_client.get(path, {**base, "author": chu_lai, "category": memoirs})) == [shelf["dear"].id]


@pytest.mark.parametrize("path", ["/api/books/", "/api/books/search/"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"sort": "cheapest"}, "sort"),
        ({"sort": ""}, "sort"),
        ({"min_price": "-1"}, "min_price"),
        ({"min_price": "abc"}, "min_price"),
        ({"min_price": "20", "max_price": "10"}, "min_price"),
        ({"published_year": "1990s"}, "published_year"),
        ({"published_year": "0"}, "published_year"),
        ({"published_year": "2000", "published_year_min": "1990"}, "published_year"),
        ({"published_year_min": "2001", "published_year_max": "2000"}, "published_year_min"),
        ({"in_stock": "maybe"}, "in_stock"),
        ({"in_stock": ""}, "in_stock"),
        ({"author": "x"}, "author"),
        ({"category": "0"}, "category"),
    ],
)
def test_a_bad_filter_or_sort_is_400_naming_it(api_client, db, path, query, field):
    if path.endswith("search/"):
        query = {**query, "search_term": "a"}

    response = api_client.get(path, query)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["details"]


def test_sort_and_ordering_together_is_400(api_client, db):
    response = api_client.get("/api/books/", {"sort": "price", "ordering": "title"})

    assert response.status_code == 400
    assert "sort" in response.json()["error"]["details"]


def test_relevance_is_a_search_sort_only(api_client, db):
    assert "sort" in api_client.get("/api/books/", {"sort": "relevance"}).json()["error"]["details"]


# --- in stock -------------------------------------------------------------------------


def availability(book_id: int, in_stock: bool, at: datetime.datetime) -> dict:
    """stock.availability_changed as inventory's outbox delivers it."""
    payload = {"product_id": book_id, "in_stock": in_stock, "changed_at": at.isoformat()}
    return {"id": str(uuid.uuid4()), "type": "stock.availability_changed", "source": "inventory", "payload": payload}


@pytest.fixture
def hear_stock(service_client, django_capture_on_commit_callbacks):
    """hear_stock(book_id, in_stock, at=now): book_service hears inventory's word, committed."""

    def hear(book_id: int, in_stock: bool, at: datetime.datetime | None = None) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            response = service_client.post(
                "/api/events/", availability(book_id, in_stock, at or timezone.now()), format="json"
            )
        assert response.status_code == 200, response.content
        return response.json()

    return hear


@pytest.mark.parametrize("read", ["list", "search", "one"])
def test_each_book_says_whether_it_is_in_stock_without_asking_inventory(api_client, shelf, inventory, hear_stock, read):
    hear_stock(shelf["cheap"].id, True)
    url, query = {
        "list": ("/api/books/", {}),
        "search": ("/api/books/search/", {"search_term": "a"}),
        "one": (f"/api/books/{shelf['cheap'].id}/", {}),
    }[read]

    body = api_client.get(url, query).json()

    stock = {book["id"]: book["in_stock"] for book in body.get("results", [body])}
    assert stock[shelf["cheap"].id] is True
    assert all(stock[book.id] is False for key, book in shelf.items() if key != "cheap" and book.id in stock)
    assert inventory.calls == []


def test_a_new_book_is_not_in_stock(api_client, make_book):
    book = make_book("Chưa về kho")

    assert api_client.get(f"/api/books/{book.id}/").json()["in_stock"] is False


def test_a_stock_change_is_seen_by_the_next_read_though_the_catalog_is_cached(
    api_client, shelf, hear_stock, django_assert_num_queries
):
    url = f"/api/books/{shelf['cheap'].id}/"
    assert api_client.get(url).json()["in_stock"] is False
    with django_assert_num_queries(0):  # the catalog's answer is the cached one
        api_client.get(url)

    hear_stock(shelf["cheap"].id, True)
    came = api_client.get(url).json()
    hear_stock(shelf["cheap"].id, False)
    went = api_client.get(url).json()

    assert (came["in_stock"], went["in_stock"]) == (True, False)


def test_an_older_word_delivered_late_changes_nothing(api_client, shelf, hear_stock):
    """Deliveries are not ordered: inventory said "in" and then "out", and "in" arrives last."""
    book_id, now = shelf["cheap"].id, timezone.now()
    hear_stock(book_id, False, at=now)

    late = hear_stock(book_id, True, at=now - datetime.timedelta(seconds=1))

    assert late["status"] == "processed"
    assert api_client.get(f"/api/books/{book_id}/").json()["in_stock"] is False


def test_a_word_repeated_is_handled_once(service_client, shelf, django_capture_on_commit_callbacks):
    event = availability(shelf["cheap"].id, True, timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        first = service_client.post("/api/events/", event, format="json").json()
        again = service_client.post("/api/events/", event, format="json").json()

    assert (first["status"], again["status"]) == ("processed", "duplicate")


def test_a_word_about_a_book_not_here_changes_nothing(api_client, shelf, hear_stock):
    assert hear_stock(999999, True)["status"] == "processed"
    assert api_client.get("/api/books/", {"in_stock": "true"}).json()["count"] == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"product_id": 1, "in_stock": True},
        {"product_id": "x", "in_stock": True, "changed_at": "2026-01-01T00:00:00Z"},
        {"product_id": 1, "in_stock": "perhaps", "changed_at": "2026-01-01T00:00:00Z"},
    ],
)
def test_a_word_that_breaks_the_contract_is_400_and_stays_unseen(service_client, shelf, payload):
    event = {"id": str(uuid.uuid4()), "type": "stock.availability_changed", "payload": payload}

    response = service_client.post("/api/events/", event, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (400, "validation_error")


def test_only_services_tell_the_catalog_what_is_in_stock(api_client, staff_client, shelf):
    event = availability(shelf["cheap"].id, True, timezone.now())

    assert api_client.post("/api/events/", event, format="json").status_code == 401
    assert staff_client.post("/api/events/", event, format="json").status_code == 403
    assert api_client.get(f"/api/books/{shelf['cheap'].id}/").json()["in_stock"] is False


@pytest.mark.parametrize("path", ["/api/books/", "/api/books/search/"])
def test_the_in_stock_filter(api_client, shelf, hear_stock, inventory, path):
    base = {"search_term": "a"} if path.endswith("search/") else {}
    for key in ("cheap", "dear"):
        hear_stock(shelf[key].id, True)

    in_stock = api_client.get(path, {**base, "in_stock": "true", "sort": "price"}).json()
    out = api_client.get(path, {**base, "in_stock": "false"}).json()

    assert [book["id"] for book in in_stock["results"]] == [shelf["cheap"].id, shelf["dear"].id]
    assert in_stock["count"] == 2
    assert {book["in_stock"] for book in in_stock["results"]} == {True}
    assert {book["id"] for book in out["results"]} == {shelf["mid"].id, shelf["new"].id}
    assert {book["in_stock"] for book in out["results"]} == {False}
    assert inventory.calls == []


def test_the_in_stock_filter_sees_a_stock_change_at_once(api_client, shelf, hear_stock):
    assert api_client.get("/api/books/", {"in_stock": "true"}).json()["count"] == 0

    hear_stock(shelf["new"].id, True)

    assert ids(api_client.get("/api/books/", {"in_stock": "true"})) == [shelf["new"].id]


def test_the_batch_read_by_ids_says_whether_in_stock(api_client, shelf, hear_stock):
    hear_stock(shelf["cheap"].id, True)

    body = api_client.get("/api/books/", {"ids": f"{shelf['cheap'].id},{shelf['mid'].id}"}).json()

    assert {book["id"]: book["in_stock"] for book in body["results"]} == {
        shelf["cheap"].id: True,
        shelf["mid"].id: False,
    }


# --- stock_sync -------------------------------------------------------------------------


def test_stock_sync_sets_every_book_from_inventory(api_client, shelf, hear_stock, inventory):
    hear_stock(shelf["mid"].id, True)  # a word inventory's later state no longer holds
    inventory.stock = {shelf["cheap"].id: 3, shelf["dear"].id: 1, shelf["mid"].id: 0, 999999: 5}
    out = io.StringIO()

    call_command("stock_sync", stdout=out)

    assert out.getvalue().strip() == "2 books in stock; 3 changed."
    stocked = api_client.get("/api/books/", {"in_stock": "true", "sort": "price"})
    assert ids(stocked) == [shelf["cheap"].id, shelf["dear"].id]


def test_stock_sync_is_not_undone_by_a_word_from_before_it(api_client, shelf, hear_stock, inventory):
    before = timezone.now()
    inventory.stock = {shelf["cheap"].id: 3}
    call_command("stock_sync", stdout=io.StringIO())

    hear_stock(shelf["cheap"].id, False, at=before)

    assert api_client.get(f"/api/books/{shelf['cheap'].id}/").json()["in_stock"] is True


@pytest.mark.parametrize("failure", [requests.ConnectionError("refused"), requests.ReadTimeout("slow")])
def test_stock_sync_without_inventory_says_so_and_changes_nothing(api_client, shelf, hear_stock, inventory, failure):
    hear_stock(shelf["cheap"].id, True)
    inventory.failure = failure

    with pytest.raises(CommandError, match="inventory"):
        call_command("stock_sync", stdout=io.StringIO())

    assert ids(api_client.get("/api/books/", {"in_stock": "true"})) == [shelf["cheap"].id]


# --- facets -----------------------------------------------------------------------------


def test_search_facets_count_the_matches_by_category_author_and_price_band(api_client, shelf, make_book):
    make_book("Other book", author="Other", category="Other", price="7.00")

    body = api_client.get("/api/books/search/", {"search_term": "a", "page_size": 1}).json()
    facets = body["facets"]

    assert len(body["results"]) == 1
    assert {(f["name"], f["count"]) for f in facets["categories"]} == {("Văn học", 2), ("Hồi ký", 2)}
    assert {(f["name"], f["count"]) for f in facets["authors"]} == {("Chu Lai", 2), ("Dương Hướng", 2)}
    bands = {(band["min_price"], band["max_price"]): band["count"] for band in facets["price_bands"]}
    assert bands[("0.00", "10.00")] == 1
    assert bands[("10.00", "25.00")] == 1
    assert bands[("25.00", "50.00")] == 1
    assert bands[("100.00", "50000.00")] == 1
    assert bands[("100000.00", None)] == 0
    assert len(bands) == len(PRICE_BAND_EDGES)


def test_facets_follow_the_filters(api_client, shelf):
    facets = api_client.get("/api/books/search/", {"search_term": "a", "author": shelf["cheap"].author_id}).json()[
        "facets"
    ]

    assert facets["authors"] == [{"id": shelf["cheap"].author_id, "name": "Chu Lai", "count": 2}]
    assert {f["name"] for f in facets["categories"]} == {"Văn học", "Hồi ký"}


def test_facets_list_the_categories_with_most_books_first_and_at_most_twenty(api_client, make_book):
    for i in range(FACET_SIZE + 2):
        make_book(f"Sách {i}", category=f"Loại {i:02d}")
    make_book("Sách thêm", category="Loại 05")

    categories = api_client.get("/api/books/search/", {"search_term": "sach"}).json()["facets"]["categories"]

    assert len(categories) == FACET_SIZE
    assert (categories[0]["name"], categories[0]["count"]) == ("Loại 05", 2)


def test_facets_tied_at_the_twentieth_are_ranked_by_name_as_when_every_one_is_named(api_client, make_book):
    """Only the ids that can be in the twenty are named: the ties at the twentieth count
    are still broken by name, then id, as when the names of every match were read."""
    counts = {f"Tác giả {chr(ord('Z') - i)}": 1 + (i % 3 == 0) + (i % 7 == 0) for i in range(26)}
    for author, books in counts.items():
        for n in range(books):
            make_book(f"Sách {author} {n}", author=author, category=author)

    facets = api_client.get("/api/books/search/", {"search_term": "sach"}).json()["facets"]

    every = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:FACET_SIZE]
    for facet in ("authors", "categories"):
        assert [(f["name"], f["count"]) for f in facets[facet]] == every


def test_facets_at_the_count_cap_count_the_matches_counted(api_client, make_book, monkeypatch):
    from catalog.selectors import BookSearch

    monkeypatch.setattr(BookSearch, "COUNT_CAP", 2)
    for i in range(3):
        make_book(f"Truyện {i}", category="Truyện", price="30.00")

    body = api_client.get("/api/books/search/", {"search_term": "truyen"}).json()

    assert (body["count"], body["count_exact"]) == (2, False)
    assert body["facets"]["categories"][0]["count"] == 2
    assert sum(band["count"] for band in body["facets"]["price_bands"]) == 2


def test_the_schema_shows_the_new_parameters_and_answers(api_client, db):
    schema = api_client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    browse = {"sort", "min_price", "max_price", "author", "category", "published_year", "in_stock"}
    browse |= {"published_year_min", "published_year_max"}

    for path in ("/api/books/", "/api/books/search/"):
        assert browse <= {p["name"] for p in paths[path]["get"]["parameters"]}
    components = schema["components"]["schemas"]
    search = paths["/api/books/search/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"count_exact", "facets"} <= set(components[search["$ref"].split("/")[-1]]["properties"])
    assert "in_stock" in components["Book"]["properties"]
