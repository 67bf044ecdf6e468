import pytest
from django.core.management import call_command

from catalog import demo_data
from catalog.demo_covers import COVERED
from catalog.models import Author, Book, Category


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")  # the demo covers' files


@pytest.mark.django_db
def test_demo_data_loads_once():
    call_command("load_demo_data")
    call_command("load_demo_data")
    assert Book.objects.count() == len(demo_data.BOOKS)
    assert Author.objects.count() == len(demo_data.AUTHORS)
    assert Category.objects.count() == len(demo_data.CATEGORIES)
    assert Book.objects.get(title="Dế Mèn phiêu lưu ký").title_folded == "de men phieu luu ky"


@pytest.mark.django_db
def test_every_demo_book_has_a_language_and_publisher_and_the_english_ones_a_real_isbn():
    call_command("load_demo_data")

    assert set(demo_data.IDENTITY) == {title for title, *_ in demo_data.BOOKS}
    assert not Book.objects.filter(language="").exists()
    assert not Book.objects.filter(publisher="").exists()
    assert Book.objects.get(title="The Hobbit").isbn == "9780547928227"
    assert Book.objects.get(title="Dế Mèn phiêu lưu ký").language == "vi"
    assert Book.objects.exclude(isbn=None).count() == 16  # each checked by services.book_create


@pytest.mark.django_db
def test_demo_books_loaded_before_they_had_an_identity_are_given_it_and_nothing_else_changes():
    call_command("load_demo_data")
    Book.objects.filter(title="Emma").update(isbn=None, language="", page_count=None, publisher="")
    Book.objects.filter(title="The Hobbit").update(publisher="Allen & Unwin")

    call_command("load_demo_data")

    emma = Book.objects.get(title="Emma")
    assert (emma.isbn, emma.language, emma.page_count, emma.publisher) == (
        "9780141439587",
        "en",
        474,
        "Penguin Classics",
    )
    assert Book.objects.get(title="The Hobbit").publisher == "Allen & Unwin"
    assert Book.objects.count() == len(demo_data.BOOKS)


@pytest.mark.django_db
def test_a_few_english_demo_books_get_a_drawn_cover_once(client):
    call_command("load_demo_data")
    hobbit = Book.objects.get(title="The Hobbit")
    first = hobbit.cover.name

    call_command("load_demo_data")

    assert set(Book.objects.exclude(cover="").values_list("title", flat=True)) == set(COVERED)
    assert Book.objects.get(title="The Hobbit").cover.name == first  # not drawn again
    answer = client.get(f"/api/books/{hobbit.id}/").json()
    assert answer["cover_url"].endswith(first)
    image = client.get(answer["cover_url"])
    assert (image.status_code, image["Content-Type"]) == (200, "image/png")


@pytest.mark.django_db
def test_a_storage_that_cannot_be_written_leaves_the_demo_books_without_covers_not_without_books(monkeypatch):
    from io import StringIO

    from django.core.files.storage import FileSystemStorage

    def read_only(self, name, content):
        raise OSError(30, "Read-only file system", name)

    monkeypatch.setattr(FileSystemStorage, "_save", read_only)
    errors = StringIO()

    call_command("load_demo_data", stderr=errors)

    assert Book.objects.count() == len(demo_data.BOOKS)
    assert not Book.objects.exclude(cover="").exists()
    assert "demo covers not drawn" in errors.getvalue()
