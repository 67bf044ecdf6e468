from django.apps import AppConfig


class RevocationConfig(AppConfig):
    name = "common.revocation"
    label = "revocation"
    verbose_name = "Revoked accounts"
    default_auto_field = "django.db.models.BigAutoField"
