"""Emails waiting to be sent and given up, read from the database when Prometheus
scrapes: one query on the email_state index. Tries by outcome are counted as they
happen (notifications.services.EMAILS)."""

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric

from common.metrics import service_name
from notifications.models import EmailState, Notification


def read() -> Iterator[Metric]:
    counts = dict(
        Notification.objects.filter(email_state__in=[EmailState.PENDING, EmailState.FAILED])
        .values_list("email_state")
        .annotate(count=Count("id"))
        .order_by()
    )
    gauge = GaugeMetricFamily(
        "notification_emails",
        "Notification emails by state: queued (not sent yet) or failed (given up).",
        labels=["service", "state"],
    )
    gauge.add_metric([service_name(), "queued"], counts.get(EmailState.PENDING, 0))
    gauge.add_metric([service_name(), "failed"], counts.get(EmailState.FAILED, 0))
    yield gauge
