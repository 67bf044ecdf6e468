"""docker/new_env.py: .env and deploy/k8s/secrets.env with keys of their own, which the
compose and Kubernetes checks accept."""

import runpy
import shutil
import subprocess
import sys

import pytest

from common.registry import SERVICES
from tools.check_compose import ENV_EXAMPLE, interpolate, load_compose, problems, read_env_file
from tools.check_k8s import K8S_DIR
from tools.stack import REPO_DIR

SCRIPT = REPO_DIR / "docker" / "new_env.py"


@pytest.fixture
def repo_copy(tmp_path):
    (tmp_path / "deploy" / "k8s").mkdir(parents=True)
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env.example")
    shutil.copy(K8S_DIR / "secrets.env.example", tmp_path / "deploy" / "k8s" / "secrets.env.example")
    return tmp_path


def make_env(repo) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--repo", str(repo)], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_compose_gets_new_keys_and_passwords_and_the_rest_as_documented(repo_copy):
    assert ".env written with new random secrets" in make_env(repo_copy)
    env = read_env_file((repo_copy / ".env").read_text())
    example = read_env_file(ENV_EXAMPLE.read_text())
    assert set(env) == set(example)
    for key in ("SECRET_KEY", "JWT_SIGNING_KEY"):
        assert len(env[key]) >= 50
        assert not env[key].startswith("insecure-")  # the services refuse those with DEBUG off
    assert env["SECRET_KEY"] != env["JWT_SIGNING_KEY"]
    for password in ("POSTGRES_PASSWORD", "BOOKSTORE_DB_PASSWORD"):
        assert len(env[password]) == 32
        assert env[password].isalnum()  # it goes into URLs
    assert {k: v for k, v in env.items() if "KEY" not in k and "PASSWORD" not in k} == {
        k: v for k, v in example.items() if "KEY" not in k and "PASSWORD" not in k
    }
    assert (repo_copy / ".env").stat().st_mode & 0o077 == 0

    compose = load_compose((REPO_DIR / "docker-compose.yml").read_text())
    assert problems(compose, env=env) == []
    resolved = interpolate(compose, env)["services"]["cart-service"]["environment"]
    assert (
        resolved["DATABASE_URL"] == f"postgres://bookstore_cart:{env['BOOKSTORE_DB_PASSWORD']}@db:5432/bookstore_cart"
    )
    assert resolved["SECRET_KEY"] == env["SECRET_KEY"]


def test_kubernetes_gets_new_secrets_with_the_database_urls_naming_the_password(repo_copy):
    make_env(repo_copy)
    secrets_env = read_env_file((repo_copy / "deploy" / "k8s" / "secrets.env").read_text())
    example = read_env_file((K8S_DIR / "secrets.env.example").read_text())
    assert set(secrets_env) == set(example)
    password = secrets_env["bookstore-db-password"]
    for name, service in SERVICES.items():
        login = service.database_name
        assert secrets_env[f"{name}-database-url"] == f"postgres://{login}:{password}@postgres:5432/{login}"
    assert len(secrets_env["jwt-signing-key"]) >= 50
    assert secrets_env["postgres-password"] != password


def test_existing_files_are_kept(repo_copy):
    make_env(repo_copy)
    first = (repo_copy / ".env").read_text(), (repo_copy / "deploy" / "k8s" / "secrets.env").read_text()
    output = make_env(repo_copy)
    assert ".env exists; kept" in output
    assert "deploy/k8s/secrets.env exists; kept" in output
    assert ((repo_copy / ".env").read_text(), (repo_copy / "deploy" / "k8s" / "secrets.env").read_text()) == first


def test_a_reference_to_no_setting_is_an_error():
    fill = runpy.run_path(str(SCRIPT))["fill"]
    assert fill("# {not resolved in comments}\na=1\nb=x{a}y\n") == "# {not resolved in comments}\na=1\nb=x1y\n"
    with pytest.raises(KeyError, match="names no setting"):
        fill("url=postgres://u:{missing}@h/d\n")
