"""The catalog's admin: authors, categories and books created, edited and deleted through
catalog.services; what a service refuses is shown on the form or as a message."""

import pytest
from django.contrib.admin.models import LogEntry

from catalog import services
from catalog.folding import fold
from catalog.models import Author, Book, Category
from common.testing.pages import queries_of_get

pytestmark = pytest.mark.django_db

AUTHORS, CATEGORIES, BOOKS = "/admin/catalog/author/", "/admin/catalog/category/", "/admin/catalog/book/"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_an_author_made_in_the_admin_is_made_by_the_service(admin_client):
    response = admin_client.post(f"{AUTHORS}add/", {"name": "Tô Hoài", "email": "To.Hoai@Example.com", "address": ""})

    assert response.status_code == 302
    author = Author.objects.get()
    assert (author.email, author.name_folded) == ("to.hoai@example.com", fold("Tô Hoài"))
    assert LogEntry.objects.get().object_id == str(author.pk)


def test_an_email_taken_in_another_case_is_refused_on_the_form_with_what_was_typed(admin_client):
    services.author_create(name="Tô Hoài", email="to.hoai@example.com")

    response = admin_client.post(f"{AUTHORS}add/", {"name": "Someone", "email": "TO.HOAI@example.com", "address": ""})

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"email": ["An author with this email already exists."]}
    assert form["name"].value() == "Someone"
    assert Author.objects.count() == 1
    assert not LogEntry.objects.exists()


def test_an_author_edited_in_the_admin_keeps_the_rules(admin_client):
    author = services.author_create(name="To Hoai", email="to.hoai@example.com")
    services.author_create(name="Other", email="other@example.com")
    change = f"{AUTHORS}{author.pk}/change/"

    renamed = admin_client.post(change, {"name": "Tô Hoài", "email": "to.hoai@example.com", "address": "Hà Nội"})
    taken = admin_client.post(change, {"name": "Tô Hoài", "email": "Other@Example.com", "address": ""})

    assert renamed.status_code == 302
    author.refresh_from_db()
    assert (author.name_folded, author.address, author.email) == (fold("Tô Hoài"), "Hà Nội", "to.hoai@example.com")
    assert taken.context["adminform"].form.errors == {"email": ["An author with this email already exists."]}


def test_a_category_name_taken_in_another_case_is_refused_when_made_or_renamed(admin_client):
    services.category_create(name="Văn học")
    other = services.category_create(name="Thiếu nhi")

    made = admin_client.post(f"{CATEGORIES}add/", {"name": "VĂN HỌC"})
    renamed = admin_client.post(f"{CATEGORIES}{other.pk}/change/", {"name": "văn học"})
    fine = admin_client.post(f"{CATEGORIES}{other.pk}/change/", {"name": "Truyện thiếu nhi"})

    for refused in (made, renamed):
        assert refused.context["adminform"].form.errors == {"name": ["A category with this name already exists."]}
    assert fine.status_code == 302
    other.refresh_from_db()
    assert (other.name_key, other.name_folded) == ("truyện thiếu nhi", fold("Truyện thiếu nhi"))


def test_a_book_is_made_edited_and_deleted_through_the_services(admin_client, make_book):
    author, category = make_book("Seed").author, Category.objects.get()
    body = {
        "title": "Dế Mèn phiêu lưu ký",
        "author": author.pk,
        "category": category.pk,
        "published_date": "1941-01-01",
        "price": "45.50",
        "description": "",
    }

    assert admin_client.post(f"{BOOKS}add/", body).status_code == 302
    book = Book.objects.get(title="Dế Mèn phiêu lưu ký")
    assert book.title_folded == fold("Dế Mèn phiêu lưu ký")
    assert admin_client.post(f"{BOOKS}{book.pk}/change/", body | {"title": "Dế Mèn"}).status_code == 302
    book.refresh_from_db()
    assert (book.title, book.title_folded) == ("Dế Mèn", fold("Dế Mèn"))
    assert admin_client.post(f"{BOOKS}{book.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Book.objects.filter(pk=book.pk).exists()


def test_an_author_still_in_use_is_not_deleted_and_the_page_says_why(admin_client, make_book, monkeypatch):
    """Django's confirmation page lists the books that protect an author; a book added
    after it was shown is the service's to refuse (409 still_in_use in the API)."""
    author = services.author_create(name="Tô Hoài", email="to.hoai@example.com")
    real_delete = services.author_delete

    def delete_after_a_book_came(*, author):
        make_book("Late", author=author.name)
        real_delete(author=author)

    monkeypatch.setattr(services, "author_delete", delete_after_a_book_came)

    response = admin_client.post(f"{AUTHORS}{author.pk}/delete/", {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert messages_of(response) == ["Not deleted: 1 book(s) still use this author; delete or move them first."]
    assert Author.objects.filter(pk=author.pk).exists()
    assert not LogEntry.objects.exists()  # nothing logged as deleted
    assert not Book.objects.filter(title="Late").exists()  # the race's book went with the refused transaction


def test_a_bulk_deletion_says_which_were_refused_and_logs_only_the_deleted(admin_client, make_book, monkeypatch):
    kept = services.category_create(name="Kept")
    gone = services.category_create(name="Gone")
    real_delete = services.category_delete

    def delete_unless_kept(*, category):
        if category.pk == kept.pk:
            make_book("Late", category="Kept")
        real_delete(category=category)

    monkeypatch.setattr(services, "category_delete", delete_unless_kept)

    response = admin_client.post(
        CATEGORIES, {"action": "delete_selected", "_selected_action": [kept.pk, gone.pk], "post": "yes"}, follow=True
    )

    assert messages_of(response) == [
        "Kept: not deleted: 1 book(s) still use this category; delete or move them first.",
        "1 deleted.",
    ]
    assert list(Category.objects.values_list("name", flat=True)) == ["Kept"]
    assert [entry.object_repr for entry in LogEntry.objects.all()] == ["Gone"]


def test_the_book_list_makes_as_many_queries_for_10_or_100_books(admin_client, make_book):
    for number in range(10):
        make_book(f"Book {number}")
    admin_client.get(BOOKS)

    ten = queries_of_get(admin_client, BOOKS)
    for number in range(10, 100):
        make_book(f"Book {number}", author=f"Author {number % 7}", category=f"Category {number % 5}")
    hundred = queries_of_get(admin_client, BOOKS)

    assert hundred == ten <= 10, (ten, hundred)
