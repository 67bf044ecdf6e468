"""Production settings: `check --deploy` is clean for every service, and a service
refuses to start with DEBUG off and a development key."""

import os
import subprocess
import sys

import pytest

from common.registry import SERVICES
from tools.stack import REPO_DIR

PRODUCTION = {
    "DEBUG": "0",
    "HTTPS": "1",
    "SECRET_KEY": "prod-like-secret-" + "k7Qz" * 12,
    "JWT_SIGNING_KEY": "prod-like-jwt-" + "Xw3p" * 12,
    "ALLOWED_HOSTS": "shop.example.com",
}


def run_in(service_folder: str, env: dict, *args: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "JWT_SIGNING_KEY", "DEBUG", "HTTPS"}}
    return subprocess.run(
        [sys.executable, *args], cwd=REPO_DIR / service_folder, env=base | env, capture_output=True, text=True
    )


@pytest.mark.parametrize("service", [s.folder for s in SERVICES.values()])
def test_check_deploy_is_clean_with_production_settings(service, tmp_path):
    done = run_in(
        service, PRODUCTION | {"VAR_DIR": str(tmp_path)}, "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.parametrize("key", ["SECRET_KEY", "JWT_SIGNING_KEY"])
def test_a_development_key_with_debug_off_is_refused(key, tmp_path):
    env = PRODUCTION | {"VAR_DIR": str(tmp_path)}
    del env[key]  # falls back to the built-in development key
    done = run_in("book_service", env, "manage.py", "check", "--deploy")
    assert done.returncode != 0
    assert "common.E001" in done.stderr
    assert key in done.stderr
    wsgi = run_in("book_service", env, "-c", "import book_service.wsgi")
    assert wsgi.returncode != 0
    assert "ImproperlyConfigured" in wsgi.stderr
    assert key in wsgi.stderr


def test_development_keys_are_fine_with_debug_on(tmp_path):
    done = run_in("book_service", {"DEBUG": "1", "VAR_DIR": str(tmp_path)}, "-c", "import book_service.wsgi")
    assert done.returncode == 0, done.stderr


def test_management_commands_need_no_production_keys(tmp_path):
    done = run_in("book_service", {"VAR_DIR": str(tmp_path)}, "manage.py", "check")
    assert done.returncode == 0, done.stderr
    wsgi = run_in("book_service", PRODUCTION | {"VAR_DIR": str(tmp_path)}, "-c", "import book_service.wsgi")
    assert wsgi.returncode == 0, wsgi.stderr
