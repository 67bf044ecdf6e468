"""Every write to the catalog's tables, whoever makes it (the API, the admin, demo data),
renews the catalog's cached answers once it commits (a book's: that book's answers and
those of lists, searches and batch reads; an author's or a category's: every answer), and a book's or an author's words
join the catalog's words (catalog/words.py). Bulk writes send no signals: they call
CATALOG.changed() and words_add() themselves (synthetic.py)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from catalog.cache import CATALOG, book_part
from catalog.models import Author, Book, Category
from catalog.words import words_add


@receiver([post_save, post_delete], sender=Book)
def book_changed(instance: Book, **_) -> None:
    CATALOG.changed(book_part(instance.pk))


@receiver([post_save, post_delete], sender=Author)
@receiver([post_save, post_delete], sender=Category)
def catalog_changed(**_) -> None:
    CATALOG.changed()


@receiver(post_save, sender=Book)
def book_words_kept(instance: Book, **_) -> None:
    words_add([instance.title_folded])


@receiver(post_save, sender=Author)
def author_words_kept(instance: Author, **_) -> None:
    words_add([instance.name_folded])
