"""How long a consumer keeps the ids of the events it has handled, and what it does with
an event older than that.

A delivery has no last moment: the dispatcher tries a failing one for ever (a subscriber
down for weeks gets weeks-old events when it is back, and one whose answer was lost gets
them again), and a parked one waits for a person to retry it from the admin, any time
later. No retention is longer than every redelivery, so the consumer is where the rule
lives, the one place every path goes through: an event that occurred over
PROCESSED_EVENTS_KEEP_DAYS ago (its envelope's occurred_at) is acknowledged and not
handled, logged at ERROR and counted (outbox_events_expired_total), since its id may
have been purged and handling it again could do twice what it asks. Ids are kept that
long after they were handled, plus CLOCK_MARGIN, so an event young enough to be handled
always finds its id if it was handled before. The outbox app's sweep purges them in
batches (common.sweeps), and so does `manage.py purge_processed_events`.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from common.metrics import service_name
from common.outbox import conf
from common.outbox.metrics import EVENTS_EXPIRED
from common.outbox.models import ProcessedEvent
from common.sweeps import Interval

logger = logging.getLogger(__name__)

# The publisher's clock dates an event, this service's clock its id: ids are kept this
# much longer than events are handled, so clocks that disagree by less never let an
# event be handled after its id was purged.
CLOCK_MARGIN = timedelta(hours=1)
# Ids deleted per statement, so a backlog of millions never holds a long lock or makes
# one huge transaction.
PURGE_BATCH = 1000


def keep() -> timedelta:
    """How old an event may be and still be handled (PROCESSED_EVENTS_KEEP_DAYS)."""
    return timedelta(days=conf.processed_events_keep_days())


def event_expired(envelope: dict[str, Any]) -> bool:
    """Whether a received event (its envelope, read) is too old to be handled: logged and
    counted when it is. One without occurred_at is not: its age is unknown, and every
    outbox dispatcher dates its events."""
    occurred_at: datetime | None = envelope.get("occurred_at")
    if occurred_at is None or occurred_at >= timezone.now() - keep():
        return False
    logger.error(
        "event %s %s from %s occurred at %s, over PROCESSED_EVENTS_KEEP_DAYS (%s) ago: acknowledged and not "
        "handled, since its id may have been purged; if it was never handled, do by hand what it asks",
        envelope["type"],
        envelope["id"],
        envelope.get("source") or "unknown",
        occurred_at.isoformat(),
        conf.processed_events_keep_days(),
    )
    EVENTS_EXPIRED.labels(service_name(), envelope["type"]).inc()
    return True


def purge_cutoff(keep_for: timedelta | None = None) -> datetime:
    """Ids handled before this may go: `keep_for` (the retention by default) plus CLOCK_MARGIN ago."""
    return timezone.now() - (keep_for if keep_for is not None else keep()) - CLOCK_MARGIN


def processed_events_purge_batch(*, cutoff: datetime, batch: int = PURGE_BATCH) -> int:
    """Delete up to `batch` ids handled before `cutoff`, the oldest first, in one
    statement; how many went. On PostgreSQL rows another purge is deleting are skipped,
    not waited for: two replicas' purges share the work and never deadlock."""
    over = ProcessedEvent.objects.filter(processed_at__lt=cutoff).order_by("processed_at")
    oldest = over.select_for_update(skip_locked=True).values("id")[:batch]
    deleted, _ = ProcessedEvent.objects.filter(id__in=oldest).delete()
    return deleted


def processed_events_purge(*, keep_for: timedelta | None = None, batch: int = PURGE_BATCH) -> int:
    """Delete every id handled over `keep_for` (the retention by default) plus
    CLOCK_MARGIN ago, `batch` at a time; how many went."""
    cutoff = purge_cutoff(keep_for)
    deleted = 0
    while True:
        done = processed_events_purge_batch(cutoff=cutoff, batch=batch)
        deleted += done
        if done < batch:
            return deleted


_purge_interval = Interval(conf.processed_events_purge_seconds)


def processed_events_purge_sweep() -> int:
    """The outbox app's sweep (common.sweeps): one batch a round, so a backlog does not
    hold up the service's other sweeps; the next round comes at once while batches come
    full, and once one comes short the pass is over until PROCESSED_EVENTS_PURGE_SECONDS
    later. 0: never (purge_processed_events still purges)."""
    if not _purge_interval.due():
        return 0
    deleted = processed_events_purge_batch(cutoff=purge_cutoff(), batch=PURGE_BATCH)
    if deleted < PURGE_BATCH:
        _purge_interval.finished()
    return deleted
