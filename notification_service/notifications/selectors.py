"""Reads of notifications."""

from django.db.models import QuerySet

from notifications.models import Notification


def notification_list(*, user_id: int, unread: bool | None = None) -> QuerySet[Notification]:
    """One customer's notifications, newest first; only unread (or read) ones if asked."""
    notifications = Notification.objects.filter(user_id=user_id)
    if unread is not None:
        notifications = notifications.filter(read_at__isnull=unread)
    return notifications.order_by("-created_at", "-id")


def notification_unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()
