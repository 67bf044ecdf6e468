import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from notifications import services, sweeper

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Send the notification emails that are due (new, or waiting for a retry), with backoff."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round over what is due now, then exit")

    def handle(self, *args, once: bool = False, **options):
        if once:
            tried = services.notification_emails_send_due()
            self.stdout.write(f"tried {tried} emails")
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        every_seconds = settings.NOTIFICATION_SWEEP_SECONDS or 5.0
        logger.info("notification sweep started (every %ss)", every_seconds)
        sweeper.run(stop, every_seconds=every_seconds)
        logger.info("notification sweep stopped")
