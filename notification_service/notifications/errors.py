from enum import StrEnum


class NotificationErrorCode(StrEnum):
    UNKNOWN_NOTIFICATION = "unknown_notification"
    EMAIL_SENT = "email_sent"
    EMAIL_BEING_SENT = "email_being_sent"
    EMAIL_LINK_GONE = "email_link_gone"
