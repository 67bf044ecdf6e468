"""The services as the benchmark runs them: the end-to-end harness's stack (free ports,
fresh databases, process groups) with `make run`'s settings instead of the suite's."""

import os

from common.registry import SERVICES
from tests.e2e.harness import Stack

PG_SERVER = os.environ.get("DATABASE_SERVER_URL", "postgres://postgres@127.0.0.1:5432")
# What the benchmark takes from the end-to-end harness's environment: where each
# service listens, its folder and database, and keys. The rest the harness sets is for
# tests (one worker, short timeouts, fast outbox and email retries, a test mail server)
# and is left out, so the services run with `make run`'s settings or the caller's.
HARNESS_SETTINGS = {
    "HOST",
    "VAR_DIR",
    "DATABASE_URL",
    "PYTHONUNBUFFERED",
    "SECRET_KEY",
    "JWT_SIGNING_KEY",
    "CACHE_KEY_PREFIX",  # this stack's own keys, when REDIS_URL names a Redis
    *(service.port_var for service in SERVICES.values()),
}
# Every simulated customer comes from one address and writes far more than the
# per-user limit allows; the counting itself still runs on every write.
RAISED_RATE_LIMITS = {
    "GATEWAY_RATE_SIGNUP": "100000/min",
    "GATEWAY_RATE_LOGIN": "100000/min",
    "GATEWAY_RATE_WRITES": "100000/min",
}
# The customers log in once, as the shop is prepared: their access tokens must outlive
# the longest run (many rounds, or a capacity curve's steps), or it ends in 401s.
LONG_ACCESS_TOKENS = {"JWT_ACCESS_MINUTES": "480"}
# The customers sign up with made-up addresses that no mailbox receives, so they cannot
# follow a verification link; the checkout's check of the claim still runs.
UNVERIFIED_MAY_ORDER = {"CHECKOUT_REQUIRES_VERIFIED_EMAIL": "0"}


class BenchStack(Stack):
    def env_for(self, name: str) -> dict[str, str]:
        harness = super().env_for(name)
        env = {"LOAD_DEMO_DATA": "1"}
        env |= {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "DATABASE_SERVER_URL"}}
        env |= {key: value for key, value in harness.items() if key in HARNESS_SETTINGS}
        # What a benchmark sets for a while (Stack.configured, configured_all: tracing on).
        return env | RAISED_RATE_LIMITS | LONG_ACCESS_TOKENS | UNVERIFIED_MAY_ORDER | self.overrides.get(name, {})

    def serving_settings(self) -> dict[str, str]:
        env = self.env_for("gateway")
        return {
            "WEB_THREADS": env.get("WEB_THREADS", "8 (default)"),
            **RAISED_RATE_LIMITS,
            **LONG_ACCESS_TOKENS,
        }
