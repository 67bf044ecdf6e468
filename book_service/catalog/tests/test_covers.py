"""A book's cover: uploaded by staff (multipart) or in the admin, checked by Pillow (JPEG,
PNG or WebP, at most COVER_MAX_BYTES), stored through Django's storage, and its absolute
URL in every book answer."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.models import Book

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def book(make_book):
    return make_book("Dế Mèn phiêu lưu ký")


def image(image_format: str = "PNG", size: tuple[int, int] = (4, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=image_format)
    return out.getvalue()


def upload(client, book_id: int, content: bytes, name: str = "cover.png"):
    file = SimpleUploadedFile(name, content, content_type="image/png")
    return client.put(f"/api/books/{book_id}/cover/", {"cover": file}, format="multipart")


@pytest.mark.parametrize(("image_format", "extension"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_staff_upload_a_cover_and_every_answer_has_its_absolute_url(
    staff_client, api_client, book, image_format, extension, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(staff_client, book.id, image(image_format), name="anything.png")

    assert response.status_code == 200, response.json()
    url = response.json()["cover_url"]
    assert url.startswith(f"http://testserver/api/books/media/covers/{book.id}-")
    assert url.endswith(f".{extension}")  # named by what Pillow found, not by the client's name
    for read in (
        f"/api/books/{book.id}/",
        "/api/books/",
        "/api/books/search/?search_term=de men",
        f"/api/books/?ids={book.id}",
    ):
        body = api_client.get(read).json()
        assert body.get("results", [body])[0]["cover_url"] == url, read
    served = api_client.get(url.removeprefix("http://testserver"))
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == image(image_format)


def test_a_book_without_a_cover_says_null(api_client, book):
    assert api_client.get(f"/api/books/{book.id}/").json()["cover_url"] is None


def test_a_new_cover_replaces_the_old_file_and_delete_removes_it(
    staff_client, book, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(staff_client, book.id, image())
    first = Book.objects.get(id=book.id).cover.name
    with django_capture_on_commit_callbacks(execute=True):
        upload(staff_client, book.id, image("JPEG"))
    second = Book.objects.get(id=book.id).cover.name

    with django_capture_on_commit_callbacks(execute=True):
        removed = staff_client.delete(f"/api/books/{book.id}/cover/")

    assert removed.status_code == 200
    assert removed.json()["cover_url"] is None
    assert not default_storage.exists(first)
    assert not default_storage.exists(second)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"not an image at all", "not an image"),
        (image()[:40], "not an image"),  # a PNG cut short
        (image("GIF"), "JPEG, PNG or WebP"),
        (image("BMP"), "JPEG, PNG or WebP"),
    ],
)
def test_what_is_not_a_jpeg_png_or_webp_is_400(staff_client, book, content, says):
    response = upload(staff_client, book.id, content)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert says in error["details"]["cover"][0]
    assert not Book.objects.get(id=book.id).cover


def test_a_cover_over_the_size_limit_is_400(staff_client, book, settings):
    settings.COVER_MAX_BYTES = 100

    response = upload(staff_client, book.id, image(size=(64, 64)))

    assert response.status_code == 400
    assert "at most 100 bytes" in response.json()["error"]["details"]["cover"][0]


def test_without_a_file_or_as_json_is_400_or_415(staff_client, book):
    assert (
        "cover" in staff_client.put(f"/api/books/{book.id}/cover/", {}, format="multipart").json()["error"]["details"]
    )
    assert staff_client.put(f"/api/books/{book.id}/cover/", {"cover": "x"}, format="json").status_code == 415


def test_only_staff_upload_or_remove_a_cover(api_client, user_client, book):
    assert upload(api_client, book.id, image()).status_code == 401
    assert upload(user_client(7), book.id, image()).status_code == 403
    assert user_client(7).delete(f"/api/books/{book.id}/cover/").status_code == 403
    assert upload(user_client(7), 999999, image()).status_code == 403  # refused before the book is looked up


def test_a_cover_for_a_book_that_does_not_exist_is_404(staff_client, db):
    assert upload(staff_client, 999999, image()).status_code == 404


def test_a_new_cover_is_seen_by_the_next_read_through_the_cache(
    staff_client, api_client, book, django_capture_on_commit_callbacks
):
    assert api_client.get(f"/api/books/{book.id}/").json()["cover_url"] is None

    with django_capture_on_commit_callbacks(execute=True):
        upload(staff_client, book.id, image())

    assert api_client.get(f"/api/books/{book.id}/").json()["cover_url"] is not None


def test_the_admin_uploads_checks_and_clears_a_cover(admin_client, book, django_capture_on_commit_callbacks):
    change = f"/admin/catalog/book/{book.id}/change/"
    form = {
        "title": book.title,
        "author": book.author_id,
        "category": book.category_id,
        "published_date": "2020-01-01",
        "price": "10.00",
        "description": "",
        "isbn": "",
        "language": "",
        "page_count": "",
        "publisher": "",
    }

    with django_capture_on_commit_callbacks(execute=True):
        added = admin_client.post(change, {**form, "cover": SimpleUploadedFile("c.webp", image("WEBP"))})
    gif = admin_client.post(change, {**form, "cover": SimpleUploadedFile("c.gif", image("GIF"))})
    with django_capture_on_commit_callbacks(execute=True):
        cleared = admin_client.post(change, {**form, "cover-clear": "on"})

    assert added.status_code == 302
    assert gif.status_code == 200
    assert "JPEG, PNG or WebP" in str(gif.context["adminform"].form.errors["cover"])
    assert cleared.status_code == 302
    assert not Book.objects.get(id=book.id).cover


def test_the_schema_shows_the_upload_and_the_cover_url(api_client, db):
    schema = api_client.get("/api/schema/?format=json").json()

    assert "multipart/form-data" in schema["paths"]["/api/books/{id}/cover/"]["put"]["requestBody"]["content"]
    assert "cover_url" in schema["components"]["schemas"]["Book"]["properties"]


def test_a_storage_that_refuses_the_file_is_a_503_and_changes_nothing(staff_client, book, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    def read_only(self, name, content):
        raise PermissionError(13, "Permission denied", name)

    monkeypatch.setattr(FileSystemStorage, "_save", read_only)

    response = upload(staff_client, book.id, image())

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "cover_storage_unavailable"
    book.refresh_from_db()
    assert not book.cover
