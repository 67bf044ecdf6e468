import datetime
from decimal import Decimal

import pytest

from catalog import services


@pytest.fixture
def make_book(db):
    """make_book(title, author="...", category="...", price="10.00") creating the author
    and category on first use."""

    def make(title: str, *, author: str = "Nguyễn Nhật Ánh", category: str = "Văn học", price: str = "10.00"):
        from catalog.models import Author, Category

        author_obj = Author.objects.filter(name=author).first() or services.author_create(
            name=author, email=f"{abs(hash(author))}@example.com"
        )
        category_obj = Category.objects.filter(name=category).first() or services.category_create(name=category)
        return services.book_create(
            title=title,
            author_id=author_obj.id,
            category_id=category_obj.id,
            published_date=datetime.date(2020, 1, 1),
            price=Decimal(price),
        )

    return make
