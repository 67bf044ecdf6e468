"""Settings of the notification service: notifications and their delivery."""

from pathlib import Path

from common.settings import ImproperlyConfiguredEnv, env_bool, env_float, env_int, env_str, service_settings

# common.outbox: the ids of events already handled (its consumer side).
# common.revocation: deleted and deactivated accounts' tokens refused (account.* events).
APPS = ["common.outbox", "common.revocation", "notifications"]

globals().update(service_settings("notification", base_dir=Path(__file__).resolve().parent.parent, apps=APPS))

# Which templates notifications are written from: "en" or "vi".
NOTIFICATION_LANGUAGE = env_str("NOTIFICATION_LANGUAGE", "en")
if NOTIFICATION_LANGUAGE not in {"en", "vi"}:
    raise ImproperlyConfiguredEnv(f"NOTIFICATION_LANGUAGE={NOTIFICATION_LANGUAGE!r} must be en or vi")
# A failed email is tried again after 30 s, 60 s, 120 s ... (at most an hour apart),
# and marked failed after this many tries.
NOTIFICATION_EMAIL_MAX_ATTEMPTS = env_int("NOTIFICATION_EMAIL_MAX_ATTEMPTS", 6)
NOTIFICATION_EMAIL_BACKOFF_SECONDS = env_float("NOTIFICATION_EMAIL_BACKOFF_SECONDS", 30.0)
NOTIFICATION_EMAIL_BACKOFF_MAX_SECONDS = env_float("NOTIFICATION_EMAIL_BACKOFF_MAX_SECONDS", 3600.0)
# How often each web process looks for emails due a retry (0: never; then run
# `manage.py send_notifications` some other way).
NOTIFICATION_SWEEP_SECONDS = env_float("NOTIFICATION_SWEEP_SECONDS", 5.0)
# Send a new notification's email in a background thread right after the event is
# stored, so the event's answer does not wait on customer_service and the mail server.
NOTIFICATION_SEND_AT_ONCE = env_bool("NOTIFICATION_SEND_AT_ONCE", True)
# Customers' email addresses, as customer_service gave them, are kept this long.
NOTIFICATION_EMAIL_CACHE_SECONDS = env_int("NOTIFICATION_EMAIL_CACHE_SECONDS", 60)

# Email: printed to the log unless a mail server is configured.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 10.0)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Bookstore <no-reply@bookstore.example>")
