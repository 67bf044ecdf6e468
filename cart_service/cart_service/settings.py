"""Settings of the cart service: carts and their items."""

from pathlib import Path

from common.settings import env_float, service_settings

# common.outbox (the events handled once) and common.revocation: account.deleted and
# account.deactivated, after which the account's tokens are refused here.
globals().update(
    service_settings(
        "cart", base_dir=Path(__file__).resolve().parent.parent, apps=["common.outbox", "common.revocation", "carts"]
    )
)

# How long the cart waits for book details. Shorter than the gateway's read timeout,
# so a hanging book_service still leaves time to answer the cart without them.
CART_BOOK_READ_TIMEOUT = env_float("CART_BOOK_READ_TIMEOUT", 1.0)
