from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from common.auth import Caller
from common.db import one_snapshot
from common.outbox.consumer import EventReceiverView
from common.pagination import paginated
from common.revocation import services as revocation
from common.serializers import validated_query
from notifications import messages, selectors, services
from notifications.pagination import NotificationPagination
from notifications.serializers import NotificationListQuerySerializer, NotificationSerializer


class NotificationListView(APIView):
    """7: a customer's notifications, newest first, with their unread count (owner or staff)."""

    pagination_class = NotificationPagination

    @extend_schema(parameters=[NotificationListQuerySerializer], responses=NotificationSerializer(many=True))
    def get(self, request):
        query = validated_query(NotificationListQuerySerializer, request)
        user_id = selectors.notifications_owner_for(Caller.of(request.user), query.get("user_id"))
        notifications = selectors.notification_list(user_id=user_id, unread=query.get("unread"))
        with one_snapshot():  # the counts and the page agree while new notifications arrive
            self.unread_count = selectors.notification_unread_count(user_id=user_id)  # NotificationPagination's
            return paginated(self, request, notifications, NotificationSerializer)


class NotificationReadView(APIView):
    """7: the owner marks one notification read."""

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request, notification_id):
        notification = services.notification_mark_read(notification_id=notification_id, caller=Caller.of(request.user))
        return Response(NotificationSerializer(notification).data)


class EventsView(EventReceiverView):
    """POST /api/events/ (services only): each event of a known type makes one notification,
    once per id; a deleted account's notifications go, and a deleted or deactivated
    account's tokens are refused from then on."""

    handlers = {
        **{event_type: services.notification_create_from_event for event_type in messages.TEMPLATES},
        **revocation.event_handlers(erase=services.notifications_of_erased_account_delete),
    }

    def handle(self, event: dict, handler) -> None:
        if handler is services.notification_create_from_event:
            handler(event_id=event["id"], event_type=event["type"], payload=event["payload"])
        else:
            super().handle(event, handler)
