import threading

from common.management.loop import LoopCommand
from common.outbox import dispatcher


class Command(LoopCommand):
    help = "Deliver this service's outbox: events to their subscribers and scheduled calls, with retries."
    worker = "outbox dispatcher"
    tried = "deliveries"

    def one_round(self) -> int:
        return dispatcher.dispatch_once()

    def loop(self, stop: threading.Event) -> None:
        dispatcher.run(stop)
