"""What staff do to deliveries from the admin: try undelivered ones again now, or stop
trying (park) ones that wait. A delivery under a try right now (leased) is left to that
try, which may deliver it."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.outbox.models import DeliveryQuerySet


def _not_under_a_try(deliveries: DeliveryQuerySet) -> DeliveryQuerySet:
    return deliveries.filter(Q(leased_until__isnull=True) | Q(leased_until__lte=timezone.now()))


@transaction.atomic
def deliveries_retry(*, deliveries: DeliveryQuerySet, parked_only: bool = False) -> int:
    """The undelivered ones among `deliveries` (parked, or waiting after failures) due
    now and tried from the start: attempts start again, so the backoff does too; a parked
    one is un-parked. How many."""
    undelivered = deliveries.filter(delivered_at__isnull=True)
    if parked_only:
        undelivered = undelivered.filter(parked_at__isnull=False)
    return _not_under_a_try(undelivered).update(parked_at=None, attempts=0, refusals=0, next_attempt_at=timezone.now())


@transaction.atomic
def deliveries_park(*, deliveries: DeliveryQuerySet) -> int:
    """The waiting ones among `deliveries` parked: the dispatcher no longer takes them
    until someone retries them. How many."""
    return _not_under_a_try(deliveries.waiting()).update(parked_at=timezone.now())
