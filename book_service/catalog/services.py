"""Writes to the catalog: one transaction each."""

import json
import logging
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from catalog.cache import CATALOG, book_part
from catalog.clients import inventory
from catalog.covers import cover_extension
from catalog.errors import CatalogErrorCode, CoverStorageUnavailable
from catalog.folding import fold
from catalog.isbn import InvalidIsbn, isbn_normalize
from catalog.models import Author, Book, Category
from common.errors import Conflict, no_such

logger = logging.getLogger(__name__)


def _taken(code: str, field: str, message: str) -> Conflict:
    return Conflict(message, code=code, details={field: [message]})


def _saved_unless_taken(instance, taken: Conflict):
    """`instance` saved in a savepoint; a unique value a concurrent write took first,
    after the check before, is `taken` too."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise taken from None
    return instance


@transaction.atomic
def author_create(*, name: str, email: str, address: str = "") -> Author:
    email = email.strip().lower()
    taken = _taken(CatalogErrorCode.EMAIL_TAKEN, "email", "An author with this email already exists.")
    if Author.objects.filter(email=email).exists():
        raise taken
    return _saved_unless_taken(Author(name=name, name_folded=fold(name), email=email, address=address), taken)


@transaction.atomic
def category_create(*, name: str) -> Category:
    taken = _taken(CatalogErrorCode.CATEGORY_NAME_TAKEN, "name", "A category with this name already exists.")
    if Category.objects.filter(name_key=name.casefold()).exists():
        raise taken
    return _saved_unless_taken(Category(name=name, name_key=name.casefold(), name_folded=fold(name)), taken)


@transaction.atomic
def author_update(
    *, author: Author, name: str | None = None, email: str | None = None, address: str | None = None
) -> Author:
    """Any of name, email and address (None: unchanged), by the rules of author_create:
    the email unique regardless of case, stored lower-case; the search column follows the name."""
    taken = _taken(CatalogErrorCode.EMAIL_TAKEN, "email", "An author with this email already exists.")
    if email is not None:
        author.email = email.strip().lower()
        if Author.objects.filter(email=author.email).exclude(pk=author.pk).exists():
            raise taken
    if name is not None:
        author.name, author.name_folded = name, fold(name)
    if address is not None:
        author.address = address
    return _saved_unless_taken(author, taken)


@transaction.atomic
def category_update(*, category: Category, name: str) -> Category:
    """A new name, unique regardless of case as in category_create."""
    taken = _taken(CatalogErrorCode.CATEGORY_NAME_TAKEN, "name", "A category with this name already exists.")
    if Category.objects.filter(name_key=name.casefold()).exclude(pk=category.pk).exists():
        raise taken
    category.name, category.name_key, category.name_folded = name, name.casefold(), fold(name)
    return _saved_unless_taken(category, taken)


def _existing(model, pk: int, field: str):
    instance = model.objects.filter(pk=pk).first()
    if instance is None:
        raise no_such(model, pk, field=field)
    return instance


def _isbn_or_none(isbn: str | None) -> str | None:
    """The ISBN-13 to store (None when none is given), or the 400 naming the field."""
    if not isbn:
        return None
    try:
        return isbn_normalize(isbn)
    except InvalidIsbn as error:
        raise ValidationError({"isbn": [str(error)]}) from None


def _saved_unless_isbn_taken(book: Book) -> Book:
    taken = _taken(CatalogErrorCode.ISBN_TAKEN, "isbn", "Another book has this ISBN.")
    if book.isbn is not None and Book.objects.filter(isbn=book.isbn).exclude(pk=book.pk).exists():
        raise taken
    return _saved_unless_taken(book, taken)


@transaction.atomic
def book_create(
    *,
    title: str,
    author_id: int,
    category_id: int,
    published_date: date,
    price: Decimal,
    description: str = "",
    isbn: str | None = None,
    language: str = "",
    page_count: int | None = None,
    publisher: str = "",
) -> Book:
    """A new book; its ISBN, given as ISBN-13 or ISBN-10 with or without hyphens, is
    stored as ISBN-13 and is unique (409 isbn_taken)."""
    book = Book(
        title=title,
        title_folded=fold(title),
        author=_existing(Author, author_id, "author_id"),
        category=_existing(Category, category_id, "category_id"),
        published_date=published_date,
        price=price,
        description=description,
        isbn=_isbn_or_none(isbn),
        language=language,
        page_count=page_count,
        publisher=publisher,
    )
    return _saved_unless_isbn_taken(book)


@transaction.atomic
def book_update(*, book: Book, **changes) -> Book:
    """Any of book_create's fields, by its rules."""
    if "author_id" in changes:
        book.author = _existing(Author, changes.pop("author_id"), "author_id")
    if "category_id" in changes:
        book.category = _existing(Category, changes.pop("category_id"), "category_id")
    if "isbn" in changes:
        changes["isbn"] = _isbn_or_none(changes["isbn"])
    for field, value in changes.items():
        setattr(book, field, value)
    book.title_folded = fold(book.title)
    return _saved_unless_isbn_taken(book)


@transaction.atomic
def book_cover_set(*, book: Book, upload: UploadedFile | None) -> Book:
    """A new cover for `book` (checked: catalog/covers.py), or none (None). The file it
    replaces is deleted from storage once the change commits, so a rollback keeps it."""
    old = book.cover.name
    if upload is None:
        book.cover = None
        book.save(update_fields=["cover", "updated_at"])
    else:
        extension = cover_extension(upload)
        try:
            book.cover.save(f"{book.id}-{uuid.uuid4().hex[:12]}.{extension}", upload, save=False)
        except OSError as error:
            logger.error("book %s: the cover could not be stored: %s", book.id, error)
            message = "The covers' storage cannot take the file now; nothing was changed."
            raise CoverStorageUnavailable(message) from None
        book.save(update_fields=["cover", "updated_at"])
    if old:
        storage = book.cover.storage
        transaction.on_commit(lambda: storage.delete(old))
    return book


@transaction.atomic
def book_delete(*, book: Book) -> None:
    cover = book.cover.name
    book.delete()
    if cover:
        storage = book.cover.storage
        transaction.on_commit(lambda: storage.delete(cover))


@transaction.atomic
def author_delete(*, author: Author) -> None:
    _delete_unused(author)


@transaction.atomic
def category_delete(*, category: Category) -> None:
    _delete_unused(category)


def _delete_unused(instance: Author | Category) -> None:
    count = instance.books.count()
    if count:
        raise Conflict(
            f"{count} book(s) still use this {instance._meta.verbose_name}; delete or move them first.",
            code=CatalogErrorCode.STILL_IN_USE,
            details={"books": count},
        )
    instance.delete()


def book_availability_set(payload: dict[str, Any]) -> None:
    """inventory's word (stock.availability_changed) that a book came into stock or went
    out of it. Deliveries are not ordered: a word older than the one kept changes
    nothing. The catalog's cached answers are renewed once it is kept."""
    newer = Q(stock_changed_at__isnull=True) | Q(stock_changed_at__lt=payload["changed_at"])
    kept = Book.objects.filter(newer, pk=payload["product_id"]).update(
        in_stock=payload["in_stock"], stock_changed_at=payload["changed_at"]
    )
    if kept:
        CATALOG.changed(book_part(payload["product_id"]))


def books_stock_sync() -> tuple[int, int]:
    """Every book's in_stock set from inventory's list of the books in stock, for a catalog
    that missed its words (one upgraded from before them, or restored from a backup):
    how many books are in stock, and how many changed. The time taken before asking
    marks them, so a word about an earlier change, delivered late, does not undo this.
    Raises ServiceUnavailable or ServiceTimeout naming inventory when it cannot say."""
    asked_at = timezone.now()
    stocked = _ids_in(inventory.in_stock_book_ids())
    not_later = Q(stock_changed_at__isnull=True) | Q(stock_changed_at__lt=asked_at)
    with transaction.atomic():
        came = Book.objects.filter(stocked, not_later, in_stock=False).update(in_stock=True, stock_changed_at=asked_at)
        went = Book.objects.filter(~stocked, not_later, in_stock=True).update(in_stock=False, stock_changed_at=asked_at)
        if came or went:
            CATALOG.changed()
        return Book.objects.filter(in_stock=True).count(), came + went


def _ids_in(ids: list[int]) -> Q:
    """id IN `ids` as one query parameter however many there are: one parameter per id
    would pass both databases' limits (65,535 in PostgreSQL's protocol) at a large catalog."""
    if connection.vendor == "postgresql":
        return Q(id__in=RawSQL("SELECT unnest(%s::bigint[])", (ids,)))
    return Q(id__in=RawSQL("SELECT value FROM json_each(%s)", (json.dumps(ids),)))
