"""Settings of the payment service: payments and their transactions."""

from pathlib import Path

from common.settings import env_str, service_settings

# common.outbox: payment.succeeded / payment.failed / payment.refunded, written in the
# transaction of the change; common.idempotency: the Idempotency-Keys of POST /api/payments/.
APPS = ["common.outbox", "common.idempotency", "payments"]

globals().update(service_settings("payment", base_dir=Path(__file__).resolve().parent.parent, apps=APPS))

# The class that charges and refunds cards (payments.providers.PaymentProvider): the
# sandbox by default; a real provider is a class with the same two methods.
PAYMENT_PROVIDER = env_str("PAYMENT_PROVIDER", "payments.providers.sandbox.SandboxProvider")

_database = globals()["DATABASES"]["default"]
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # The test database is a file, not shared memory, so the concurrency tests' threads
    # get connections of their own that wait for SQLite's lock as waitress's threads do.
    _database["TEST"] = {"NAME": str(Path(_database["NAME"]).with_name("test_payment.sqlite3"))}
