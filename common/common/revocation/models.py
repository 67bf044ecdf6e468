from django.db import models


class RevokedAccount(models.Model):
    """An account whose tokens issued before `revoked_at` are refused here."""

    user_id = models.BigIntegerField(primary_key=True)
    revoked_at = models.DateTimeField(db_index=True)
    erased = models.BooleanField(default=False)  # deleted: its personal data is gone from this service

    def __str__(self) -> str:
        what = "deleted" if self.erased else "deactivated"
        return f"account {self.user_id} {what} at {self.revoked_at:%Y-%m-%d %H:%M:%S}"
