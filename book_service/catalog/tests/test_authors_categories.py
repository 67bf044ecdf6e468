import pytest

pytestmark = pytest.mark.django_db


def test_staff_creates_an_author(staff_client):
    response = staff_client.post(
        "/api/authors/", {"name": "Tô Hoài", "email": "To.Hoai@Example.com", "address": "Hà Nội"}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["email"] == "to.hoai@example.com"


def test_writes_need_staff(api_client, user_client):
    body = {"name": "X", "email": "x@example.com"}
    assert api_client.post("/api/authors/", body).status_code == 401
    assert user_client(5).post("/api/authors/", body).status_code == 403
    assert user_client(5).post("/api/categories/", {"name": "Y"}).status_code == 403


def test_duplicate_email_in_another_case_is_409(staff_client):
    staff_client.post("/api/authors/", {"name": "A", "email": "a@example.com"})
    response = staff_client.post("/api/authors/", {"name": "B", "email": "A@EXAMPLE.COM"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "author_email_taken"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "", "email": "a@example.com"}, "name"),
        ({"name": "A" * 201, "email": "a@example.com"}, "name"),
        ({"email": "a@example.com"}, "name"),
        # A JSON number is not a string, though DRF alone would take it as one (found by Schemathesis).
        ({"name": "A", "email": "a@example.com", "address": 0}, "address"),
        ({"name": 7, "email": "a@example.com"}, "name"),
    ],
)
def test_bad_author_input_is_400_naming_the_field(staff_client, body, field):
    response = staff_client.post("/api/authors/", body)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_find_authors_by_partial_name_any_case(staff_client, api_client):
    staff_client.post("/api/authors/", {"name": "Nguyễn Du", "email": "du@example.com"})
    staff_client.post("/api/authors/", {"name": "Xuân Diệu", "email": "dieu@example.com"})
    body = api_client.get("/api/authors/", {"name": "NGUYỄN"}).json()
    assert [a["name"] for a in body["results"]] == ["Nguyễn Du"]
    assert body["count"] == 1


@pytest.mark.parametrize("path", ["/api/authors/", "/api/categories/"])
def test_a_nul_in_the_name_filter_is_400_naming_it(api_client, path):
    response = api_client.get(path, {"name": "Nguy\x00n"})
    assert response.status_code == 400
    assert "name" in response.json()["error"]["details"]


def test_category_name_is_unique_regardless_of_case(staff_client, api_client):
    created = staff_client.post("/api/categories/", {"name": "Fiction"})
    assert created.status_code == 201
    response = staff_client.post("/api/categories/", {"name": "FICTION"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "category_name_taken"
    assert api_client.get(f"/api/categories/{created.json()['id']}/").json()["name"] == "Fiction"
    assert api_client.get("/api/categories/", {"name": "fict"}).json()["count"] == 1


def test_category_uniqueness_folds_vietnamese_case_on_every_database(staff_client):
    assert staff_client.post("/api/categories/", {"name": "Văn học"}).status_code == 201
    assert staff_client.post("/api/categories/", {"name": "VĂN HỌC"}).status_code == 409
    assert staff_client.post("/api/categories/", {"name": "Văn hóa"}).status_code == 201


def test_deleting_an_author_or_category_in_use_is_409(make_book, staff_client):
    book = make_book("Mắt biếc")
    author = staff_client.delete(f"/api/authors/{book.author_id}/")
    assert author.status_code == 409
    assert author.json()["error"]["code"] == "still_in_use"
    assert staff_client.delete(f"/api/categories/{book.category_id}/").status_code == 409
    staff_client.delete(f"/api/books/{book.id}/")
    assert staff_client.delete(f"/api/authors/{book.author_id}/").status_code == 204
