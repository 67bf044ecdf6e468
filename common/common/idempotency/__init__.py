"""Idempotency keys as Stripe has them, for any POST that must not happen twice.

    from common.idempotency.keys import idempotent
    return idempotent(request, lambda: self.create(...), required=True)

The first request with a key runs and its answer (status and body) is kept for
IDEMPOTENCY_KEY_TTL_HOURS (24); a replay with the same key and the same request gets
that answer again, with `Idempotent-Replayed: true`, and runs nothing; the same key
with another request is a 422. Keys are per caller. A replay that arrives while the
first request still runs waits for it. A request that ends in an error keeps no key.
Install the app (`common.idempotency` in the service's apps) to get its table, and
the sweep that deletes keys past their lifetime every IDEMPOTENCY_PURGE_SECONDS (3600).
"""
