"""What `make run`, `docker compose` and the end-to-end tests share: how one
service is started, where it listens, and how to tell it is ready."""

import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from common.registry import SERVICES, Service

REPO_DIR = Path(__file__).resolve().parent.parent


def service_dir(service: Service) -> Path:
    return REPO_DIR / service.folder


def serve_command(name: str) -> list[str]:
    """Migrates the service's database, then runs it under waitress (tools/serve.py)."""
    return [sys.executable, "-m", "tools.serve", name]


def is_ready(base_url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/ready/", timeout=timeout) as response:  # noqa: S310 (our own URL)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_ready(urls: dict[str, str], timeout: float, still_running=lambda name: True) -> list[str]:
    """Waits until every service answers /ready/; returns the names that did not."""
    pending = dict(urls)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for name, url in list(pending.items()):
            if not still_running(name):
                return list(pending)
            if is_ready(url):
                del pending[name]
        if pending:
            time.sleep(0.2)
    return list(pending)


__all__ = ["REPO_DIR", "SERVICES", "is_ready", "serve_command", "service_dir", "wait_ready"]
