from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request

from catalog.folding import fold
from catalog.models import MAX_PAGES, Author, Book, Category
from catalog.selectors import BOOK_ROW, RELEVANCE, SORTS, BookRow
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
    cover_url = serializers.SerializerMethodField(help_text="The cover image's absolute URL; null when none.")
    in_stock = serializers.BooleanField(
        read_only=True,
        help_text="Whether inventory has a unit for sale: what it last said, a moment after each change "
        "(stock.availability_changed); false for a book it has never stocked.",
    )

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
            "cover_url",
            "in_stock",
            "created_at",
            "updated_at",
        ]
        extra_kwargs: dict[str, dict[str, str]] = {
            "language": {"help_text": 'ISO 639-1 code, such as "vi" or "en"; blank when not given.'}
        }

    def get_cover_url(self, book: Book) -> str | None:
        """Absolute from the address the client used (as pages' links are), unless the
        storage gives one already (a bucket's)."""
        return _cover_url(book.cover.name, self.context.get("request"))

    def to_representation(self, book: Book) -> dict:
        return book_answer(_row_of(book), self.context.get("request"))


class BookRowSerializer(BookSerializer):
    """BookSerializer's answer, of a book's row (selectors.BOOK_ROW) rather than its model:
    what the catalog's reads page through."""

    def to_representation(self, row: BookRow) -> dict:  # type: ignore[override]
        return book_answer(row, self.context.get("request"))


def book_answer(row: BookRow, request: Request | None) -> dict[str, Any]:
    """A book as BookSerializer answers it, from its row (selectors.BOOK_ROW).

    Every catalog page, search and cart read serializes books: built here in one step
    rather than through DRF's per-field machinery, which also builds the serializer's
    fields on each request (a large share of book_service's CPU under load,
    docs/performance.md). Each value goes through the same DRF field as before, and a
    test holds the result equal to DRF's own for every field in Meta.fields."""
    return {
        "id": row["id"],
        "title": row["title"],
        "author_id": row["author_id"],
        "author_name": row["author__name"],
        "category_id": row["category_id"],
        "category_name": row["category__name"],
        "published_date": _DATE.to_representation(row["published_date"]),
        "price": _PRICE.to_representation(row["price"]),
        "description": row["description"],
        "isbn": row["isbn"],
        "language": row["language"],
        "page_count": row["page_count"],
        "publisher": row["publisher"],
        "cover_url": _cover_url(row["cover"], request),
        "in_stock": row["in_stock"],
        "created_at": _DATETIME.to_representation(row["created_at"]),
        "updated_at": _DATETIME.to_representation(row["updated_at"]),
    }


def _row_of(book: Book) -> BookRow:
    """The row (selectors.BOOK_ROW) of a book read or written as a model."""
    row = {name: getattr(book, name) for name in BOOK_ROW if "__" not in name}
    return {**row, "author__name": book.author.name, "category__name": book.category.name, "cover": book.cover.name}


_COVERS = Book._meta.get_field("cover").storage  # where covers are (settings.STORAGES), as Book.cover's


def _cover_url(name: str | None, request: Request | None) -> str | None:
    if not name:
        return None
    url = _COVERS.url(name)
    return request.build_absolute_uri(url) if request is not None else url


class FoundBookSerializer(BookSerializer):
    """For the schema: a book a search found; its own name, so that the search's page
    (with count_exact and facets) is a component of its own, not the list's page."""


class BookCoverSerializer(Serializer):
    cover = serializers.FileField(help_text="A JPEG, PNG or WebP image, at most 1,000,000 bytes (COVER_MAX_BYTES).")


_DATE = serializers.DateField()


class _DateTimeField(serializers.DateTimeField):
    """DRF's, in the default time zone rather than the current one, which is the same one
    here (nothing activates another) and costs a lookup in a context-local for each value:
    most of the CPU of writing a book's two times."""

    def default_timezone(self) -> Any:
        return timezone.get_default_timezone() if settings.USE_TZ else None


_DATETIME = _DateTimeField()
_PRICE = BookSerializer._declared_fields["price"]


class SuggestQuerySerializer(Serializer):
    q = serializers.CharField(max_length=100, help_text="What has been typed so far: a prefix, or a word misspelt.")

    def validate_q(self, value: str) -> str:
        if not fold(value):
            raise serializers.ValidationError("Enter letters or digits.")
        return value


class SuggestedTitleSerializer(Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class SuggestedAuthorSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SuggestionsSerializer(Serializer):
    """For the schema: at most 8 of each, best first."""

    titles = SuggestedTitleSerializer(many=True)
    authors = SuggestedAuthorSerializer(many=True)


class NameQuerySerializer(Serializer):
    """?name= of the author and category lists (2.1.5, 2.1.6). A NUL, which no stored
    name holds and PostgreSQL refuses in a query, is a 400 naming the field."""

    name = serializers.CharField(required=False, allow_blank=True, default="")


class BrowseQuerySerializer(Serializer):
    """The filters of the book list and search (selectors.book_filter), checked together:
    a range whose ends cross, or a year given both alone and as a range, is a 400."""

    author = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="An author's id.")
    category = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="A category's id.")
    min_price = serializers.DecimalField(required=False, max_digits=10, decimal_places=2, min_value=0)
    max_price = serializers.DecimalField(required=False, max_digits=10, decimal_places=2, min_value=0)
    published_year = serializers.IntegerField(required=False, min_value=1, max_value=9999)
    published_year_min = serializers.IntegerField(required=False, min_value=1, max_value=9999)
    published_year_max = serializers.IntegerField(required=False, min_value=1, max_value=9999)
    in_stock = serializers.BooleanField(
        required=False,
        help_text="true: only books inventory has units of for sale; false: only the others.",
    )

    def validate(self, attrs: dict) -> dict:
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"min_price": ["min_price is above max_price."]})
        year = attrs.pop("published_year", None)
        if year is not None:
            if "published_year_min" in attrs or "published_year_max" in attrs:
                raise serializers.ValidationError(
                    {"published_year": ["Give published_year, or published_year_min and max, not both."]}
                )
            attrs["published_year_min"] = attrs["published_year_max"] = year
        year_from, year_to = attrs.pop("published_year_min", None), attrs.pop("published_year_max", None)
        if year_from is not None and year_to is not None and year_from > year_to:
            raise serializers.ValidationError({"published_year_min": ["published_year_min is after the max."]})
        return {**attrs, "year_from": year_from, "year_to": year_to}


SORT_HELP = "price, -price (dearest first), newest (latest published first), title (A to Z, ignoring accents)"


class BookSearchQuerySerializer(BrowseQuerySerializer):
    search_term = serializers.CharField(max_length=200, trim_whitespace=True)
    sort = serializers.ChoiceField(
        choices=[RELEVANCE, *SORTS],
        default=RELEVANCE,
        help_text=f"relevance (the default: best matches first), {SORT_HELP}",
    )

    def validate_search_term(self, value: str) -> str:
        if not fold(value):  # only combining marks, say: nothing left to match
            raise serializers.ValidationError("Enter letters or digits to search for.")
        return value


class BookListQuerySerializer(BrowseQuerySerializer):
    ids = IdListField(required=False, help_text="A batch read: these books only, every other parameter ignored.")
    sort = serializers.ChoiceField(required=False, choices=list(SORTS), help_text=SORT_HELP)
    ordering = serializers.ChoiceField(
        required=False,
        choices=["title", "-title", "price", "-price", "published_date", "-published_date", "id", "-id"],
        help_text="The older way to order (by a column); give sort or ordering, not both. Default: by id.",
    )

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        sort, ordering = attrs.pop("sort", None), attrs.pop("ordering", None)
        if sort and ordering:
            raise serializers.ValidationError({"sort": ["Give sort or ordering, not both."]})
        return {**attrs, "order_by": SORTS[sort] if sort else (ordering or "id", "id")}
