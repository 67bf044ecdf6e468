from rest_framework import serializers

from common.converters import MAX_ID
from notifications.models import Notification


class NotificationListQuerySerializer(serializers.Serializer):
    user_id = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Whose notifications (default: the caller's)."
    )
    unread = serializers.BooleanField(required=False, help_text="Only unread ones (false: only read ones).")


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "user_id",
            "event_type",
            "language",
            "subject",
            "body",
            "read",
            "read_at",
            "email_state",
            "created_at",
        ]
        read_only_fields = fields

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None
