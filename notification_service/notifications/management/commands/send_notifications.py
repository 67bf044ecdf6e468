import threading

from django.conf import settings

from common.management.loop import LoopCommand
from notifications import services, sweeper


class Command(LoopCommand):
    help = "Send the notification emails that are due (new, or waiting for a retry), with backoff."
    worker = "notification email sweep"
    tried = "emails"

    def one_round(self) -> int:
        return services.notification_emails_send_due()

    def loop(self, stop: threading.Event) -> None:
        sweeper.run(stop, every_seconds=settings.NOTIFICATION_SWEEP_SECONDS or 5.0)
