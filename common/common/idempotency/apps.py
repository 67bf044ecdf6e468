from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "common.idempotency"
    label = "idempotency"
    verbose_name = "Idempotency keys"
    default_auto_field = "django.db.models.BigAutoField"
    # Run by common.sweeps in every service that installs the app, beside its SWEEPS.
    sweeps = ("common.idempotency.keys.keys_purge_sweep",)
