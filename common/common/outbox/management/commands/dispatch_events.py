import logging
import signal
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from common.outbox import conf, dispatcher

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Deliver this service's outbox: events to their subscribers and scheduled calls, with retries."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="one round over what is due now, then exit")

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        if once:
            tried = dispatcher.dispatch_once()
            self.stdout.write(f"tried {tried} deliveries")
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        logger.info("outbox dispatcher of %s started (poll every %ss)", settings.SERVICE_NAME, conf.poll_seconds())
        dispatcher.run(stop)
        logger.info("outbox dispatcher of %s stopped", settings.SERVICE_NAME)
