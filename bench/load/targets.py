"""The issue's targets, on PostgreSQL: zero errors, checkout p95 under 300 ms, all eight
services under 600 MB resident idle."""

from common.registry import SERVICES

CHECKOUT_P95_MS = 300
IDLE_MEMORY_MB = 600


def services_total(memory: dict, key: str = "rss_mb") -> float:
    return round(sum(memory[name][key] for name in SERVICES if name in memory), 1)


def targets(result: dict) -> dict:
    endpoints = result["load"]["endpoints"]
    checkout = endpoints.get("POST /api/orders/ (checkout)", {})
    return {
        "zero_errors": endpoints.get("overall", {}).get("errors", 1) == 0,
        "checkout_p95_under_300_ms": checkout.get("p95_ms", 1e9) < CHECKOUT_P95_MS,
        "idle_under_600_mb": services_total(result["memory"]["idle"]) < IDLE_MEMORY_MB,
    }
