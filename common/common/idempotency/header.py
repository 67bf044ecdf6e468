"""The Idempotency-Key header's rule, the one every service and the gateway check,
in a module without models so that a service without the idempotency app (the
gateway, inventory) can use it too."""

HEADER = "Idempotency-Key"
# Set on an answer that repeats an earlier one (a replayed key, a replayed
# reservation reference): the name Stripe uses.
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY_CHARACTERS = frozenset(chr(code) for code in range(0x21, 0x7F))  # visible ASCII
MAX_KEY_LENGTH = 255


def key_valid(raw: str, *, max_length: int = MAX_KEY_LENGTH) -> bool:
    """1 to `max_length` visible ASCII characters (Stripe takes up to 255)."""
    return 1 <= len(raw) <= max_length and set(raw) <= _KEY_CHARACTERS
