from django.db import models

from common.models import TimeStampedModel


class EmailState(models.TextChoices):
    PENDING = "pending"  # not sent yet: due at email_next_attempt_at
    SENT = "sent"
    FAILED = "failed"  # given up: too many tries, or no address to send to


class Notification(TimeStampedModel):
    """What one event told one customer: shown in the app (unless `in_app` is off) and sent by email."""

    user_id = models.BigIntegerField()
    # The event it was made from: one notification per event, however often it arrives.
    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=100, db_index=True)
    language = models.CharField(max_length=5)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    read_at = models.DateTimeField(null=True, blank=True)
    # False for an email with a link for its owner only (messages.EMAIL_ONLY): not listed.
    in_app = models.BooleanField(default=True)

    email_to = models.EmailField(max_length=254, blank=True)  # the address it went to, once looked up
    email_state = models.CharField(max_length=10, choices=EmailState.choices, default=EmailState.PENDING)
    email_attempts = models.PositiveIntegerField(default=0)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set by whoever is sending it, so no other thread or process sends it at the same time;
    # a sender that died frees it when the lease ends.
    email_leased_until = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user_id", "-created_at", "-id"], name="notification_user_newest"),
            models.Index(fields=["email_state", "email_next_attempt_at"], name="notification_email_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} for user {self.user_id}"
