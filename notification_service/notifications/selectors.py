"""Reads of notifications."""

from django.db.models import QuerySet
from rest_framework.exceptions import PermissionDenied, ValidationError

from common.auth import Caller
from common.db import filter_given
from notifications.models import Notification


def notification_list(*, user_id: int, unread: bool | None = None) -> QuerySet[Notification]:
    """One customer's notifications, newest first; only unread (or read) ones if asked."""
    notifications = filter_given(Notification.objects.filter(user_id=user_id, in_app=True), read_at__isnull=unread)
    return notifications.order_by("-created_at", "-id")


def notification_unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, in_app=True, read_at__isnull=True).count()


def notifications_owner_for(caller: Caller, asked: int | None) -> int:
    """Whose notifications a caller may list: a customer their own (the default), staff
    and services anyone's, named by ?user_id=."""
    if caller.is_privileged:
        if asked is None:
            raise ValidationError({"user_id": ["Staff must say whose notifications to list."]})
        return asked
    if asked is not None and not caller.owns(asked):
        raise PermissionDenied("You can only list your own notifications.")
    return int(caller.user_id)  # type: ignore[arg-type]  # a customer's caller has one
