from typing import Any

from django.core.management.base import BaseCommand

from common import sweeps


class Command(BaseCommand):
    help = "Run this service's sweeps (settings.SWEEPS and its apps') once: expiries, recovery after crashes, purges."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"changed {sweeps.sweep_once()}")
