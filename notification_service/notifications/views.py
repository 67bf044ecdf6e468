from typing import cast

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from common.auth import ClaimsUser
from common.outbox.consumer import EventReceiverView
from common.permissions import is_owner, is_staff_or_service
from common.serializers import validated
from notifications import messages, selectors, services
from notifications.pagination import NotificationPagination
from notifications.serializers import NotificationListQuerySerializer, NotificationSerializer


def _listed_user(user: ClaimsUser, asked: int | None) -> int:
    """Whose notifications a caller may list: a customer their own (the default), staff
    and services anyone's, named by ?user_id=."""
    if is_staff_or_service(user):
        if asked is None:
            raise ValidationError({"user_id": ["Staff must say whose notifications to list."]})
        return asked
    if asked is not None and not is_owner(user, asked):
        raise PermissionDenied("You can only list your own notifications.")
    return int(user.id)


class NotificationListView(generics.ListAPIView):
    """7: a customer's notifications, newest first, with their unread count (owner or staff)."""

    serializer_class = NotificationSerializer
    pagination_class = NotificationPagination

    @extend_schema(parameters=[NotificationListQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        # A plain dict, so that a blank ?unread= is an error rather than "no filter" (make fuzz).
        query = validated(NotificationListQuerySerializer, self.request.query_params.dict())
        # request.user is a ClaimsUser (common.auth); the stubs say a Django user.
        user_id = _listed_user(cast(ClaimsUser, self.request.user), query.get("user_id"))
        self.unread_count = selectors.notification_unread_count(user_id=user_id)
        return selectors.notification_list(user_id=user_id, unread=query.get("unread"))


class NotificationReadView(APIView):
    """7: the owner marks one notification read."""

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request, notification_id):
        notification = services.notification_mark_read(notification_id=notification_id, user=request.user)
        return Response(NotificationSerializer(notification).data)


class EventsView(EventReceiverView):
    """POST /api/events/ (services only): each event of a known type makes one notification, once per id."""

    handlers = {event_type: services.notification_create_from_event for event_type in messages.TEMPLATES}

    def handle(self, event: dict, handler) -> None:
        handler(event_id=event["id"], event_type=event["type"], payload=event["payload"])
