from rest_framework import serializers

from catalog.folding import fold
from catalog.models import MAX_PAGES, Author, Book, Category
from common.batch import IdListField
from common.converters import MAX_ID
from common.serializers import ModelSerializer, Serializer


class AuthorSerializer(ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name", "email", "address", "created_at"]
        # Uniqueness is the service's rule (409), not a serializer's 400.
        extra_kwargs: dict[str, dict[str, list[object]]] = {"email": {"validators": []}}


class CategorySerializer(ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "created_at"]


class BookSerializer(ModelSerializer):
    author_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    category_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    author_name = serializers.CharField(source="author.name", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    # As typed (hyphens, spaces, ISBN-10): services.book_create normalizes and checks it.
    isbn = serializers.CharField(
        max_length=32,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="ISBN-13, or ISBN-10 (converted); hyphens and spaces are ignored. Answered as 13 digits, or null.",
    )
    page_count = serializers.IntegerField(min_value=1, max_value=MAX_PAGES, required=False, allow_null=True)

    class Meta:
        model = Book
        fields = [
            "id",
            "title",
            "author_id",
            "author_name",
            "category_id",
            "category_name",
            "published_date",
            "price",
            "description",
            "isbn",
            "language",
            "page_count",
            "publisher",
            "created_at",
            "updated_at",
        ]
        extra_kwargs: dict[str, dict[str, str]] = {
            "language": {"help_text": 'ISO 639-1 code, such as "vi" or "en"; blank when not given.'}
        }

    def to_representation(self, book: Book) -> dict:
        # Every catalog page, search and cart read serializes books: built here in one
        # step rather than through DRF's per-field machinery, which also builds the
        # serializer's fields on each request (a large share of book_service's CPU under
        # load, docs/performance.md). Each value goes through the same DRF field as before, and
        # a test holds the result equal to DRF's own for every field in Meta.fields.
        return {
            "id": book.id,
            "title": book.title,
            "author_id": book.author_id,
            "author_name": book.author.name,
            "category_id": book.category_id,
            "category_name": book.category.name,
            "published_date": _DATE.to_representation(book.published_date),
            "price": _PRICE.to_representation(book.price),
            "description": book.description,
            "isbn": book.isbn,
            "language": book.language,
            "page_count": book.page_count,
            "publisher": book.publisher,
            "created_at": _DATETIME.to_representation(book.created_at),
            "updated_at": _DATETIME.to_representation(book.updated_at),
        }


_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()
_PRICE = BookSerializer._declared_fields["price"]


class BookSearchQuerySerializer(Serializer):
    search_term = serializers.CharField(max_length=200, trim_whitespace=True)

    def validate_search_term(self, value: str) -> str:
        if not fold(value):  # only combining marks, say: nothing left to match
            raise serializers.ValidationError("Enter letters or digits to search for.")
        return value


class NameQuerySerializer(Serializer):
    """?name= of the author and category lists (2.1.5, 2.1.6). A NUL, which no stored
    name holds and PostgreSQL refuses in a query, is a 400 naming the field."""

    name = serializers.CharField(required=False, allow_blank=True, default="")


class BookListQuerySerializer(Serializer):
    ids = IdListField(required=False)
    author = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    category = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    min_price = serializers.DecimalField(required=False, max_digits=10, decimal_places=2, min_value=0)
    max_price = serializers.DecimalField(required=False, max_digits=10, decimal_places=2, min_value=0)
    ordering = serializers.ChoiceField(
        required=False,
        choices=["title", "-title", "price", "-price", "published_date", "-published_date", "id", "-id"],
    )
