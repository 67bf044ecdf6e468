from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from common import metrics
        from notifications.metrics import read

        metrics.register("notification_emails", lambda: metrics.ScrapeTimeCollector("notification_emails", read))
