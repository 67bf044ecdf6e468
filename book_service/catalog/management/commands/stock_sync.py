"""python manage.py stock_sync: every book's in_stock read again from inventory.

book_service keeps in_stock from inventory's stock.availability_changed events. A
catalog that missed them (one upgraded from before they existed, or restored from a
backup) runs this once; docs/operations.md."""

from django.core.management.base import BaseCommand, CommandError

from catalog.services import books_stock_sync
from common.errors import DependencyError


class Command(BaseCommand):
    help = "Set every book's in_stock from inventory's list of the books in stock."

    def handle(self, *args, **options) -> None:
        try:
            stocked, changed = books_stock_sync()
        except DependencyError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"{stocked} books in stock; {changed} changed.")
