from common.outbox.consumer import EventReceiverView
from common.revocation.services import event_handlers


class AccountEventsView(EventReceiverView):
    """POST /api/events/ of a service that holds nothing personal (book, inventory): a
    deleted or deactivated account's tokens are refused from then on; each event id once."""

    handlers = event_handlers()
