from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from catalog.languages import ISO_639_1
from common.models import TimeStampedModel


def validate_language(code: str) -> None:
    if code not in ISO_639_1:
        raise ValidationError(f"{code!r} is not an ISO 639-1 language code (such as vi or en, in lower case).")


class Author(TimeStampedModel):
    name = models.CharField(max_length=200)
    name_folded = models.CharField(max_length=200, editable=False, db_index=True)
    email = models.EmailField(max_length=254, unique=True)  # stored lower-case
    address = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Category(TimeStampedModel):
    name = models.CharField(max_length=100)
    # name.casefold(), computed in Python: SQLite's lower() folds ASCII letters only,
    # so a database-side Lower() would let "VĂN HỌC" beside "Văn học" there.
    name_key = models.CharField(max_length=100, unique=True, editable=False)
    name_folded = models.CharField(max_length=100, editable=False, db_index=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class FoldedTextField(models.CharField):
    """Folded search text compared code point by code point: the "C" collation on
    PostgreSQL (SQLite's default BINARY already is), so one btree index serves
    both a prefix range and ORDER BY, whatever the server's default collation."""

    def db_parameters(self, connection):
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


MAX_PAGES = 100_000


class Book(TimeStampedModel):
    title = models.CharField(max_length=300)
    title_folded = FoldedTextField(max_length=300, editable=False, db_index=True)
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="books")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="books")
    published_date = models.DateField()
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    description = models.TextField(blank=True)
    # ISBN-13, digits only (catalog/isbn.py). Books added before ISBNs were kept have
    # none (NULL), so it is unique only among the books that have one.
    isbn = models.CharField("ISBN", max_length=13, unique=True, null=True, blank=True)
    language = models.CharField(max_length=2, blank=True, validators=[validate_language])  # blank: not given
    page_count = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_PAGES)]
    )
    publisher = models.CharField(max_length=200, blank=True)
    # A file in Django's default storage (settings.py); set by services.book_cover_set only.
    cover = models.ImageField(upload_to="covers/", blank=True)
    # What inventory last said (stock.availability_changed, services.book_availability_set):
    # whether it has a unit for sale. Kept here so that no catalog read asks inventory.
    in_stock = models.BooleanField(default=False, editable=False)
    stock_changed_at = models.DateTimeField(null=True, editable=False)  # the word kept; older ones are not

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["price"]), models.Index(fields=["published_date"])]

    def __str__(self) -> str:
        return self.title


class CatalogWord(models.Model):
    """A word of the catalog's folded titles and author names, once: what a misspelt word
    of a suggestion is corrected to (catalog/words.py). Kept as books and authors are
    written; a word no title has any more stays, and finds nothing."""

    word = models.CharField(max_length=100, primary_key=True)

    def __str__(self) -> str:
        return self.word
