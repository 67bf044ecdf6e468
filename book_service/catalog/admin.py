"""The catalog in the admin: authors, categories and books are created, edited and
deleted through catalog.services, as the API does (2.1.x): an email or category name
taken in another case, or an author or category still used by books, is refused with
the service's reason, on the form or as a message."""

from django import forms
from django.contrib import admin

from catalog import services
from catalog.isbn import InvalidIsbn, isbn_normalize
from catalog.models import Author, Book, Category
from common.admin_services import ServiceAdminMixin


def _changes(form, fields) -> dict:
    """What the form changed, among `fields`."""
    return {field: form.cleaned_data[field] for field in fields if field in form.changed_data}


AUTHOR_FIELDS = ("name", "email", "address")


@admin.register(Author)
class AuthorAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ["id", "name", "email", "created_at"]
    search_fields = ["name", "email"]
    fields = AUTHOR_FIELDS

    def service_save(self, request, obj, form, change):
        if not change:
            return services.author_create(**{field: form.cleaned_data[field] for field in AUTHOR_FIELDS})
        return services.author_update(author=Author.objects.get(pk=obj.pk), **_changes(form, AUTHOR_FIELDS))

    def service_delete(self, request, obj):
        services.author_delete(author=obj)


@admin.register(Category)
class CategoryAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ["id", "name", "created_at"]
    search_fields = ["name"]
    fields = ["name"]

    def service_save(self, request, obj, form, change):
        if not change:
            return services.category_create(name=form.cleaned_data["name"])
        return services.category_update(category=Category.objects.get(pk=obj.pk), name=form.cleaned_data["name"])

    def service_delete(self, request, obj):
        services.category_delete(category=obj)


BOOK_FIELDS = (
    "title",
    "author",
    "category",
    "published_date",
    "price",
    "description",
    "isbn",
    "language",
    "page_count",
    "publisher",
    "cover",
)


class BookForm(forms.ModelForm):
    # Typed as printed (hyphens, ISBN-10): normalized before the model's 13-character check.
    isbn = forms.CharField(label="ISBN", max_length=32, required=False, help_text="ISBN-13 or ISBN-10.")

    def clean_isbn(self) -> str | None:
        try:
            return isbn_normalize(self.cleaned_data["isbn"]) if self.cleaned_data["isbn"] else None
        except InvalidIsbn as error:
            raise forms.ValidationError(str(error)) from None


@admin.register(Book)
class BookAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = BookForm
    list_display = ["id", "title", "author", "category", "price", "published_date", "isbn", "language"]
    list_filter = ["category", "language", "published_date"]
    search_fields = ["title", "author__name", "=isbn"]
    list_select_related = ["author", "category"]
    autocomplete_fields = ["author", "category"]
    fields = BOOK_FIELDS
    refusal_fields = {"author_id": "author", "category_id": "category"}

    def service_save(self, request, obj, form, change):
        values = (
            {field: form.cleaned_data[field] for field in BOOK_FIELDS} if not change else _changes(form, BOOK_FIELDS)
        )
        for relation in ("author", "category"):  # the service takes ids, as the API does
            if relation in values:
                values[f"{relation}_id"] = values.pop(relation).pk
        cover = values.pop("cover", None)  # an upload, False when cleared, None when not given
        book = (
            services.book_create(**values)
            if not change
            else services.book_update(book=Book.objects.get(pk=obj.pk), **values)
        )
        if "cover" in form.changed_data:
            book = services.book_cover_set(book=book, upload=cover or None)
        return book

    def service_delete(self, request, obj):
        services.book_delete(book=obj)
