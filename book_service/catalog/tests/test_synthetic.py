import io

import pytest
from django.core.management import call_command

from catalog.folding import fold
from catalog.models import Book


@pytest.mark.django_db
def test_generate_books_adds_searchable_books():
    out = io.StringIO()
    call_command("generate_books", "1200", "--seed", "7", stdout=out)
    call_command("generate_books", "300", stdout=out)
    assert Book.objects.count() == 1500
    book = Book.objects.select_related("author").first()
    assert book.title_folded == fold(book.title)
    assert book.author.name_folded == fold(book.author.name)
    assert "added 1200 books" in out.getvalue()
    assert "added 300 books" in out.getvalue()
