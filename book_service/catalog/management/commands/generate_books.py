import sys
import time

from django.core.management.base import BaseCommand

from catalog.synthetic import books_generate


class Command(BaseCommand):
    help = "Add N synthetic books (with 2,000 authors and 50 categories) in bulk, for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, count: int, seed: int, **options):
        started = time.monotonic()

        def progress(done: int) -> None:
            width = 30
            filled = width * done // count
            bar = "#" * filled + "-" * (width - filled)
            sys.stderr.write(f"\r[{bar}] {done}/{count} books")
            sys.stderr.flush()

        added = books_generate(count=count, seed=seed, progress=progress)
        sys.stderr.write("\n")
        self.stdout.write(f"added {added} books in {time.monotonic() - started:.1f}s")
