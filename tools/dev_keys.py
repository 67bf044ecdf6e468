"""Keys for running the services on this machine (`make run`, the end-to-end stack,
benchmarks): random, made once in the var folder and kept there, so sessions and
tokens survive a restart. Services refuse the repository's built-in development keys
with DEBUG off (common/checks.py); these are not those, and never leave the machine."""

import json
import secrets
from pathlib import Path


def development_keys(var_dir: Path) -> dict[str, str]:
    """{"SECRET_KEY": ..., "JWT_SIGNING_KEY": ...} for every service (the same JWT key for all)."""
    path = var_dir / "dev-keys.json"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        keys = {"SECRET_KEY": secrets.token_urlsafe(50), "JWT_SIGNING_KEY": secrets.token_urlsafe(50)}
        path.write_text(json.dumps(keys))
        path.chmod(0o600)
    return json.loads(path.read_text())
