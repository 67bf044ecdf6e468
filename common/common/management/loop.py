"""The shape of a worker command: one round with --once, or rounds until SIGTERM or SIGINT."""

import logging
import signal
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

logger = logging.getLogger(__name__)


class LoopCommand(BaseCommand):
    """Subclasses name the worker (`worker`, for the log) and what it tries (`tried`,
    for the --once report), and give `one_round()` (how many it tried) and `loop(stop)`."""

    worker = "worker"
    tried = "items"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="one round over what is due now, then exit")

    def one_round(self) -> int:
        raise NotImplementedError

    def loop(self, stop: threading.Event) -> None:
        raise NotImplementedError

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        if once:
            self.stdout.write(f"tried {self.one_round()} {self.tried}")
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        logger.info("%s of %s started", self.worker, settings.SERVICE_NAME)
        self.loop(stop)
        logger.info("%s of %s stopped", self.worker, settings.SERVICE_NAME)
