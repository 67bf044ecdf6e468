import datetime
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from catalog import demo_data, services
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
        existing = set(Book.objects.values_list("title", "author__email"))
        created = 0
        for title, email, category, published, price in demo_data.BOOKS:
            if (title, email) in existing:
                continue
            services.book_create(
                title=title,
                author_id=authors[email].id,
                category_id=categories[category].id,
                published_date=datetime.date.fromisoformat(published),
                price=Decimal(price),
            )
            created += 1
        self.stdout.write(f"demo catalog: {created} book(s) added, {len(demo_data.BOOKS) - created} already there")
