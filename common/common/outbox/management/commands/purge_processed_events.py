from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand

from common.outbox import conf
from common.outbox.retention import processed_events_purge


class Command(BaseCommand):
    help = (
        "Delete the ids of events this service handled over PROCESSED_EVENTS_KEEP_DAYS (30 by default) "
        "and an hour ago, in batches."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--days", type=float, help="keep ids this many days instead (at least PROCESSED_EVENTS_KEEP_DAYS)"
        )

    def handle(self, *args: Any, days: float | None = None, **options: Any) -> None:
        keep_days = conf.processed_events_keep_days()
        if days is not None and days < keep_days:
            # Events that young are still handled: an id gone would let its redelivery be handled twice.
            self.stderr.write(f"--days must be at least PROCESSED_EVENTS_KEEP_DAYS ({keep_days:g})")
            raise SystemExit(2)
        deleted = processed_events_purge(keep_for=None if days is None else timedelta(days=days))
        self.stdout.write(f"deleted {deleted} processed event ids")
