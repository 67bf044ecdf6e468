"""The outbox's metrics. The publisher's backlog is read from the database when
Prometheus scrapes (two queries on partial indexes, so they stay cheap however many
delivered rows pile up), registered by the app for the services that publish
(DISPATCHING_SERVICES); it covers the deliveries of the web processes and of the
dispatcher alike, since both write the same rows. The consumer's events refused as too
old (common.outbox.retention) are counted by the process that refused them."""

from collections.abc import Iterator

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric

from common.metrics import REGISTRY, service_name
from common.outbox.models import OutboxDelivery

EVENTS_EXPIRED = Counter(
    "outbox_events_expired",
    "Events acknowledged without being handled: older than PROCESSED_EVENTS_KEEP_DAYS, their ids may be purged.",
    ["service", "event_type"],
    registry=REGISTRY,
)


def read() -> Iterator[Metric]:
    service = [service_name()]
    waiting = OutboxDelivery.objects.waiting().aggregate(
        backlog=Count("id"), failing=Count("id", filter=Q(attempts__gt=0)), oldest=Min("event__created_at")
    )
    parked = OutboxDelivery.objects.filter(parked_at__isnull=False).count()
    oldest = waiting["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest is not None else 0.0
    for name, documentation, value in (
        ("outbox_backlog", "Deliveries waiting (neither delivered nor parked).", waiting["backlog"]),
        (
            "outbox_oldest_waiting_age_seconds",
            "Age of the oldest event with a delivery still waiting (0 when none waits).",
            max(age, 0.0),
        ),
        ("outbox_failing", "Deliveries waiting after at least one failed try.", waiting["failing"]),
        ("outbox_parked", "Deliveries parked after repeated refusals (the dead letter), waiting for a person.", parked),
    ):
        gauge = GaugeMetricFamily(name, documentation, labels=["service"])
        gauge.add_metric(service, value)
        yield gauge
