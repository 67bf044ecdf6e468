"""A book's ISBN, language, page count and publisher: through the API, the admin and search."""

import pytest

from catalog import services
from catalog.models import Book
from catalog.tests.migrations import books_before

pytestmark = pytest.mark.django_db

ISBN13 = "9780306406157"


@pytest.fixture
def refs(make_book):
    book = make_book("Seed")
    return {"author_id": book.author_id, "category_id": book.category_id}


def book_body(refs, **overrides):
    return {"title": "Số đỏ", "published_date": "1936-10-01", "price": "45.50", **refs, **overrides}


def test_a_book_is_created_with_its_identity_and_the_isbn_is_answered_as_thirteen_digits(staff_client, refs):
    created = staff_client.post(
        "/api/books/",
        book_body(refs, isbn="0-306-40615-2", language="vi", page_count=240, publisher="NXB Kim Đồng"),
        format="json",
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["isbn"], body["language"], body["page_count"], body["publisher"]) == (
        ISBN13,
        "vi",
        240,
        "NXB Kim Đồng",
    )
    assert Book.objects.get(id=body["id"]).isbn == ISBN13


def test_a_book_without_identity_is_still_a_book(staff_client, refs):
    body = staff_client.post("/api/books/", book_body(refs), format="json").json()

    assert (body["isbn"], body["language"], body["page_count"], body["publisher"]) == (None, "", None, "")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"isbn": "978-0-306-40615-8"}, "isbn"),
        ({"isbn": "12345"}, "isbn"),
        ({"isbn": 9780306406157}, "isbn"),
        ({"language": "vn"}, "language"),
        ({"language": "VI"}, "language"),
        ({"language": "vie"}, "language"),
        ({"page_count": 0}, "page_count"),
        ({"page_count": -3}, "page_count"),
        ({"page_count": "many"}, "page_count"),
        ({"publisher": "x" * 201}, "publisher"),
    ],
)
def test_a_bad_identity_is_400_naming_the_field(staff_client, refs, overrides, field):
    response = staff_client.post("/api/books/", book_body(refs, **overrides), format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["details"]


def test_an_isbn_is_unique_whichever_way_it_is_written(staff_client, refs):
    assert staff_client.post("/api/books/", book_body(refs, isbn=ISBN13), format="json").status_code == 201

    again = staff_client.post("/api/books/", book_body(refs, isbn="0306406152"), format="json")

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "isbn_taken"
    assert "isbn" in again.json()["error"]["details"]


def test_an_isbn_is_changed_by_patch_and_kept_unique(staff_client, refs):
    first = staff_client.post("/api/books/", book_body(refs, isbn=ISBN13), format="json").json()
    second = staff_client.post("/api/books/", book_body(refs, title="Other"), format="json").json()

    taken = staff_client.patch(f"/api/books/{second['id']}/", {"isbn": "978-0-306-40615-7"}, format="json")
    kept = staff_client.patch(f"/api/books/{first['id']}/", {"isbn": ISBN13, "page_count": 12}, format="json")
    cleared = staff_client.patch(f"/api/books/{first['id']}/", {"isbn": None}, format="json")

    assert taken.status_code == 409
    assert kept.status_code == 200
    assert kept.json()["page_count"] == 12
    assert cleared.json()["isbn"] is None


def test_books_without_an_isbn_are_many(make_book):
    make_book("One")
    make_book("Two")

    assert Book.objects.filter(isbn__isnull=True).count() == 2  # NULLs are not duplicates


@pytest.mark.parametrize("term", [ISBN13, "978-0-306-40615-7", "978 0306 406157", "0-306-40615-2"])
def test_search_finds_a_book_by_its_isbn_first(make_book, api_client, term):
    book = make_book("Khác")
    services.book_update(book=book, isbn=ISBN13)
    make_book(f"Mentions {ISBN13}")

    results = api_client.get("/api/books/search/", {"search_term": term}).json()["results"]

    assert results[0]["id"] == book.id


def test_the_admin_takes_an_isbn_as_printed_and_refuses_a_wrong_one(admin_client, refs):
    form = {
        "title": "Chí Phèo",
        "author": refs["author_id"],
        "category": refs["category_id"],
        "published_date": "1941-01-01",
        "price": "39000.00",
        "description": "",
        "language": "vi",
        "page_count": "120",
        "publisher": "NXB Văn học",
    }

    added = admin_client.post("/admin/catalog/book/add/", {**form, "isbn": "978-0-306-40615-7"})
    wrong = admin_client.post("/admin/catalog/book/add/", {**form, "isbn": "978-0-306-40615-8"})
    bad_language = admin_client.post("/admin/catalog/book/add/", {**form, "isbn": "", "language": "xx"})

    assert added.status_code == 302
    book = Book.objects.get(title="Chí Phèo")
    assert (book.isbn, book.language, book.page_count, book.publisher) == (ISBN13, "vi", 120, "NXB Văn học")
    assert "check digit" in str(wrong.context["adminform"].form.errors["isbn"])
    assert "language" in bad_language.context["adminform"].form.errors
    assert ISBN13 in admin_client.get("/admin/catalog/book/").content.decode()


def test_the_schema_shows_the_identity_fields(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    book = schema["components"]["schemas"]["Book"]["properties"]

    assert {"isbn", "language", "page_count", "publisher"} <= set(book)
    assert "409" in schema["paths"]["/api/books/"]["post"]["responses"]


@pytest.mark.django_db(transaction=True)
def test_books_made_before_the_identity_migration_keep_their_rows():
    books_before("0003_title_folded_c_collation", {"One": "one", "Two": "two"})

    assert list(Book.objects.order_by("title").values_list("title", "isbn", "language", "page_count")) == [
        ("One", None, "", None),
        ("Two", None, "", None),
    ]
