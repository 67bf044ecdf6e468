from django.db import models


class RateCounter(models.Model):
    """Requests counted in one fixed window for one rate-limit key (kind, caller,
    window start): in the database so every replica of the gateway shares the count."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.FloatField(db_index=True)  # unix time the window ends

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
