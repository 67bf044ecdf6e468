from django.db import models


class IdempotencyKey(models.Model):
    """One Idempotency-Key a caller sent: the request it came with (a keyed hash, never
    the body itself) and, once the first request finished, the answer replays get.
    While `response_status` is empty the first request is still running."""

    caller = models.CharField(max_length=150)  # "user:5" or "service:order": keys are per caller
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # HMAC-SHA256 of method, path and body
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["caller", "key"], name="idempotency_caller_key_unique")]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"

    @property
    def is_complete(self) -> bool:
        return self.response_status is not None
