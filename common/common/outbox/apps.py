from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "common.outbox"
    label = "outbox"
    verbose_name = "Event outbox"
    default_auto_field = "django.db.models.BigAutoField"
    # Run by common.sweeps in every service that installs the app, beside its SWEEPS.
    sweeps = ("common.outbox.retention.processed_events_purge_sweep",)

    def ready(self) -> None:
        from django.conf import settings

        from common import metrics
        from common.outbox import DISPATCHING_SERVICES
        from common.outbox import metrics as outbox_metrics

        if settings.SERVICE_NAME in DISPATCHING_SERVICES:  # a service that publishes: its backlog at /metrics
            metrics.register("outbox", lambda: metrics.ScrapeTimeCollector("outbox", outbox_metrics.read))
