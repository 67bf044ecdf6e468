from django.contrib import admin

from catalog.folding import fold
from catalog.models import Author, Book, Category


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "email", "created_at"]
    search_fields = ["name", "email"]

    def save_model(self, request, obj, form, change):
        obj.name_folded = fold(obj.name)  # the search column follows the name
        super().save_model(request, obj, form, change)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "created_at"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        obj.name_key = obj.name.casefold()
        obj.name_folded = fold(obj.name)
        super().save_model(request, obj, form, change)


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "author", "category", "price", "published_date"]
    list_filter = ["category", "published_date"]
    search_fields = ["title", "author__name"]
    list_select_related = ["author", "category"]
    autocomplete_fields = ["author", "category"]

    def save_model(self, request, obj, form, change):
        obj.title_folded = fold(obj.title)
        super().save_model(request, obj, form, change)
