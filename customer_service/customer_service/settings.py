"""Settings of the customer service: accounts, login, full names, addresses, customers."""

from pathlib import Path

from common.settings import env_int, env_str, service_settings

# common.outbox: account.created and customer.created, written in the transaction of the change.
# token_blacklist: every refresh token given out is recorded, so logging out and a new
# password can revoke them (accounts.services).
# common.revocation: deleted and deactivated accounts' access tokens refused here too.
APPS = ["common.outbox", "common.revocation", "rest_framework_simplejwt.token_blacklist", "accounts", "customers"]

globals().update(service_settings("customer", base_dir=Path(__file__).resolve().parent.parent, apps=APPS))

AUTH_USER_MODEL = "accounts.Account"
# This service owns the accounts: its admin checks passwords in its own database
# (the other services' admins ask this service, see common.admin_auth).
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins counted in a table of this service's database, so every replica
# sees the same count (see accounts/throttling.py).
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
LOGIN_FAILURES_PER_USERNAME = env_int("LOGIN_FAILURES_PER_USERNAME", 5)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 20)

# The account emails' links (accounts.links) open the shop's front end at
# <ACCOUNT_LINKS_BASE_URL>/reset-password/?uid=&token= and /verify-email/?token=.
ACCOUNT_LINKS_BASE_URL = env_str("ACCOUNT_LINKS_BASE_URL", "http://localhost:1000")
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_SECONDS", 60 * 60)  # Django's token generator reads it
EMAIL_VERIFICATION_SECONDS = env_int("EMAIL_VERIFICATION_SECONDS", 3 * 24 * 60 * 60)
# At most one reset email, and one verification email, per account in this time, however
# often they are asked for (the gateway limits the asking per client address too).
ACCOUNT_EMAIL_INTERVAL_SECONDS = env_int("ACCOUNT_EMAIL_INTERVAL_SECONDS", 60)

# Refresh tokens past their expiry are dropped from the blacklist's tables (they are
# refused by their date alone).
SWEEPS = ["accounts.services.refresh_tokens_expired_delete"]
