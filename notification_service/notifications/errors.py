from enum import StrEnum


class NotificationErrorCode(StrEnum):
    UNKNOWN_NOTIFICATION = "unknown_notification"
