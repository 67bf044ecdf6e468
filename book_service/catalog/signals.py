"""Every write to the catalog's tables, whoever makes it (the API, the admin, demo data),
renews the catalog's cached answers once it commits. Bulk writes send no signals: they
call CATALOG.changed() themselves (synthetic.py)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from catalog.cache import CATALOG
from catalog.models import Author, Book, Category


@receiver([post_save, post_delete], sender=Book)
@receiver([post_save, post_delete], sender=Author)
@receiver([post_save, post_delete], sender=Category)
def catalog_changed(**_) -> None:
    CATALOG.changed()
