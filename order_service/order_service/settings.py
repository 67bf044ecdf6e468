"""Settings of the order service: orders, their lines and status history."""

from pathlib import Path

from common.settings import env_bool, env_float, service_settings

# common.outbox: order.created / order.status_changed events and the cart-clearing,
# hold-confirming and stock-release calls, written in the transaction of the change;
# common.idempotency: the Idempotency-Keys of checkout.
# common.revocation: deleted and deactivated accounts' tokens refused (account.* events).
APPS = ["common.outbox", "common.idempotency", "common.revocation", "orders"]

globals().update(service_settings("order", base_dir=Path(__file__).resolve().parent.parent, apps=APPS))

# One name for the status choices the schema shows in several places.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {"OrderStatusEnum": "orders.models.OrderStatus"}  # type: ignore[name-defined]  # noqa: F821

# A pending order not paid within this time is cancelled, its stock given back.
ORDER_PAYMENT_MINUTES = env_float("ORDER_PAYMENT_MINUTES", 30.0)
# A checkout's reservation whose order is not saved after this long belongs to a
# checkout that died or gave up: the sweep releases it. Longer than any checkout lasts.
CHECKOUT_ABANDONED_SECONDS = env_float("CHECKOUT_ABANDONED_SECONDS", 60.0)
SWEEPS = ["orders.services.reservation_intents_abandon", "orders.services.orders_expire_unpaid"]
# A person whose email is not verified (the access token's `email_verified`) may browse
# and fill a cart, but not check out; False lets anyone with a token order.
CHECKOUT_REQUIRES_VERIFIED_EMAIL = env_bool("CHECKOUT_REQUIRES_VERIFIED_EMAIL", True)
