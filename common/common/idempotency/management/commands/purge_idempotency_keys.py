from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand

from common.idempotency.keys import keys_purge, ttl


class Command(BaseCommand):
    help = "Delete Idempotency-Keys older than their lifetime (IDEMPOTENCY_KEY_TTL_HOURS, 24 by default)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--hours", type=float, help="delete keys older than this many hours instead")

    def handle(self, *args: Any, hours: float | None = None, **options: Any) -> None:
        if hours is not None and hours < ttl().total_seconds() / 3600:
            self.stderr.write(f"--hours must be at least the key lifetime ({ttl()}): replays rely on them")
            raise SystemExit(2)
        deleted = keys_purge(older_than=None if hours is None else timedelta(hours=hours))
        self.stdout.write(f"deleted {deleted} idempotency keys")
