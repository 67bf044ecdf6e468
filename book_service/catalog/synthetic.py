"""Synthetic books in bulk, for benchmarks: deterministic for a given seed."""

import datetime
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from catalog.cache import CATALOG
from catalog.folding import fold
from catalog.models import Author, Book, Category
from catalog.words import words_add

WORDS = (
    "tiếng việt lịch sử văn học thiếu nhi khoa học tình yêu mùa xuân đất nước con người thành phố"
    " history science love garden river mountain winter city secret journey dragon ocean night light"
    " kingdom shadow memory house road letter island forest music silence stars"
).split()
RARE_WORD = "zephyrine"  # about one title in 10,000 has it
FIRST = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Smith", "Johnson", "Brown", "Garcia", "Müller"]
LAST = ["Văn An", "Thị Bình", "Minh Châu", "Đức Dũng", "Anna", "James", "Maria", "Peter", "Linh", "Quang"]


def _authors(rng: random.Random, count: int) -> list[Author]:
    existing = Author.objects.count()
    new = []
    for i in range(existing, count):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
        new.append(Author(name=name, name_folded=fold(name), email=f"author{i}@synthetic.bookstore"))
    Author.objects.bulk_create(new)
    words_add(author.name_folded for author in new)
    return list(Author.objects.only("id"))


def _categories(count: int) -> list[Category]:
    existing = set(Category.objects.values_list("name", flat=True))
    names = [f"Synthetic category {i}" for i in range(count)]
    Category.objects.bulk_create(
        [Category(name=n, name_key=n.casefold(), name_folded=fold(n)) for n in names if n not in existing]
    )
    return list(Category.objects.only("id"))


def books_generate(
    *, count: int, seed: int = 1, batch_size: int = 5000, progress: Callable[[int], None] = lambda done: None
) -> int:
    """Adds `count` books with titles of 2-6 random words; returns how many were added."""
    rng = random.Random(seed + Book.objects.count())  # noqa: S311 (test data, not secrets)
    authors = _authors(rng, 2000)
    categories = _categories(50)
    done = 0
    while done < count:
        batch = []
        for _ in range(min(batch_size, count - done)):
            words = rng.choices(WORDS, k=rng.randint(2, 6))
            if rng.random() < 0.0001:
                words.append(RARE_WORD)
            title = " ".join(words).capitalize()
            batch.append(
                Book(
                    title=title,
                    title_folded=fold(title),
                    author=rng.choice(authors),
                    category=rng.choice(categories),
                    published_date=datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randint(0, 27000)),
                    price=Decimal(rng.randint(100, 50000)) / 100,
                )
            )
        with transaction.atomic():
            Book.objects.bulk_create(batch)
            words_add(book.title_folded for book in batch)
            CATALOG.changed()  # bulk_create sends no signals (signals.py)
        done += len(batch)
        progress(done)
    return done
