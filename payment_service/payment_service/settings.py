"""Settings of the payment service: payments and their transactions."""

from pathlib import Path

from common.settings import env_float, env_str, service_settings

# common.outbox: payment.succeeded / payment.failed / payment.refunded, written in the
# transaction of the change, and order.status_changed heard; common.idempotency: the
# Idempotency-Keys of POST /api/payments/.
# common.revocation: deleted and deactivated accounts' tokens refused (account.* events).
APPS = ["common.outbox", "common.idempotency", "common.revocation", "payments"]

globals().update(service_settings("payment", base_dir=Path(__file__).resolve().parent.parent, apps=APPS))

# The class that authorizes, captures, voids and refunds cards
# (payments.providers.PaymentProvider): the sandbox by default.
PAYMENT_PROVIDER = env_str("PAYMENT_PROVIDER", "payments.providers.sandbox.SandboxProvider")
# A payment still processing, authorized or refunding after this long was interrupted
# (a crash, a peer down): the recovery sweep finishes it. Longer than a payment request
# can last (the provider's and order_service's timeouts).
PAYMENT_RECOVERY_SECONDS = env_float("PAYMENT_RECOVERY_SECONDS", 60.0)
SWEEPS = ["payments.services.payments_recover"]

_database = globals()["DATABASES"]["default"]
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # The test database is a file, not shared memory, so the concurrency tests' threads
    # get connections of their own that wait for SQLite's lock as waitress's threads do.
    _database["TEST"] = {"NAME": str(Path(_database["NAME"]).with_name("test_payment.sqlite3"))}
