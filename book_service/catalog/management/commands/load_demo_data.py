import datetime
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction

from catalog import demo_data, services
from catalog.demo_covers import COVERED, demo_cover
from catalog.errors import CoverStorageUnavailable
from catalog.models import Author, Book, Category


class Command(BaseCommand):
    help = "Load the demo catalog; running it again adds nothing that is already there."

    @transaction.atomic
    def handle(self, *args, **options):
        authors = {a.email: a for a in Author.objects.filter(email__in=[e for _, e, _ in demo_data.AUTHORS])}
        for name, email, address in demo_data.AUTHORS:
            if email not in authors:
                authors[email] = services.author_create(name=name, email=email, address=address)
        categories = {c.name: c for c in Category.objects.filter(name__in=demo_data.CATEGORIES)}
        for name in demo_data.CATEGORIES:
            if name not in categories:
                categories[name] = services.category_create(name=name)
        existing = {(b.title, b.author.email): b for b in Book.objects.select_related("author")}
        created = completed = 0
        for title, email, category, published, price in demo_data.BOOKS:
            isbn, language, page_count, publisher = demo_data.IDENTITY[title]
            identity: dict[str, Any] = {
                "isbn": isbn,
                "language": language,
                "page_count": page_count,
                "publisher": publisher,
            }
            book = existing.get((title, email))
            if book is None:
                services.book_create(
                    title=title,
                    author_id=authors[email].id,
                    category_id=categories[category].id,
                    published_date=datetime.date.fromisoformat(published),
                    price=Decimal(price),
                    **identity,
                )
                created += 1
            elif missing := {field: value for field, value in identity.items() if value and not getattr(book, field)}:
                # A demo book loaded before books had an identity: given what it lacks, never changed.
                services.book_update(book=book, **missing)
                completed += 1
        covered = 0
        for book in Book.objects.select_related("author").filter(title__in=COVERED, cover=""):
            png = SimpleUploadedFile(f"{book.id}.png", demo_cover(book.title, book.author.name), "image/png")
            try:
                services.book_cover_set(book=book, upload=png)
            except CoverStorageUnavailable:  # a read-only disk (Kubernetes): the catalog loads without them
                self.stderr.write("demo covers not drawn: the covers' storage cannot be written (MEDIA_ROOT)")
                break
            covered += 1
        self.stdout.write(
            f"demo catalog: {created} book(s) added, {len(demo_data.BOOKS) - created} already there"
            f" ({completed} given their ISBN, language, pages or publisher; {covered} given a cover)"
        )
