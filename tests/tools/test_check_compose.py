"""tools.check_compose catches a compose file that drifted from the code or from `make run`."""

import copy
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import PurePosixPath

import psycopg
import pytest
import yaml

from common.registry import SERVICES
from tools import check_compose, run
from tools.check_compose import (
    APP_DIR,
    ENV_EXAMPLE,
    POSTGRES_INIT,
    Process,
    compose_host,
    env_example_problems,
    expected_processes,
    init_script_problems,
    interpolate,
    load_compose,
    problems,
    read_env_file,
    required_problems,
    required_variables,
    variables_used,
)
from tools.check_k8s import K8S_DIR, index, load
from tools.stack import REPO_DIR
from tools.supervise import supervised


@pytest.fixture
def compose_text() -> str:
    return (REPO_DIR / "docker-compose.yml").read_text()


@pytest.fixture
def compose(compose_text) -> dict:
    return load_compose(compose_text)


def test_the_committed_files_match(compose, compose_text):
    assert problems(compose, init_script=POSTGRES_INIT.read_text()) == []
    assert env_example_problems(variables_used(compose_text), read_env_file(ENV_EXAMPLE.read_text())) == []
    assert required_problems(required_variables(compose_text)) == []
    # What `cp .env.example .env` gives is what the defaults give.
    assert problems(compose, env=read_env_file(ENV_EXAMPLE.read_text())) == []


def test_expected_processes_are_what_make_run_starts(monkeypatch):
    started = []

    class RecordingManager:
        returncode = 0

        def __init__(self, printer):
            pass

        def add_process(self, name, command, env, cwd):
            started.append((name, command, cwd))

        def loop(self):
            pass

    monkeypatch.setattr(run, "Manager", RecordingManager)
    monkeypatch.setattr(run, "port_problems", lambda host: [])
    monkeypatch.setattr(run, "announce_when_ready", lambda host: None)
    monkeypatch.delenv("DATABASE_SERVER_URL", raising=False)
    assert run.main() == 0

    def as_run_starts(process: Process) -> tuple[str, str, str]:
        # make run starts each one under its supervisor, from the root; the supervisor changes folder.
        child_cwd = REPO_DIR / process.folder if process.folder else None
        command = supervised(process.name, [sys.executable, *process.args], child_cwd)
        return process.name, shlex.join(command), str(REPO_DIR)

    assert sorted(started) == sorted(as_run_starts(p) for p in expected_processes())


def test_a_wrong_port_database_command_and_a_missing_or_extra_service_are_reported(compose):
    broken = copy.deepcopy(compose)
    broken["services"]["cart-service"]["environment"]["CART_SERVICE_PORT"] = "5001"
    broken["services"]["book-service"]["environment"]["DATABASE_URL"] = "postgres://postgres:postgres@db:5432/shared"
    broken["services"]["order-service"]["command"] = ["python", "-m", "tools.serve", "book"]
    broken["services"]["inventory-service"]["environment"]["ALLOWED_HOSTS"] = "localhost"
    del broken["services"]["payment-service"]
    broken["services"]["stray"] = {"image": "busybox", "command": ["sleep", "1"]}
    found = problems(broken)
    assert "cart-service: CART_SERVICE_PORT is '5001', expected '5000'" in found
    wrong_database = "book-service: DATABASE_URL is 'postgres://postgres:postgres@db:5432/shared'"
    assert any(p.startswith(wrong_database) for p in found)
    assert any(p.startswith("order-service: command is ['python', '-m', 'tools.serve', 'book']") for p in found)
    assert "inventory-service: ALLOWED_HOSTS does not include inventory-service" in found
    assert "inventory-service: ALLOWED_HOSTS does not include 127.0.0.1" in found
    assert "payment-service: missing" in found
    assert "stray: runs ['sleep', '1'], which make run does not start" in found


def test_make_run_stocks_the_demo_catalog_as_the_demo_stock_container_does():
    # make run does it from its readiness thread, not as a process: check that it still does.
    assert "stock_demo_catalog" in run.announce_when_ready.__code__.co_names


def test_a_demo_stock_that_runs_too_early_or_again_or_not_at_all_is_reported(compose):
    broken = copy.deepcopy(compose)
    demo = broken["services"]["demo-stock"]
    demo["restart"] = "unless-stopped"
    del demo["depends_on"]["inventory-service"]
    found = problems(broken)
    assert "demo-stock: restart 'unless-stopped' would run it again after it is done" in found
    assert "demo-stock: does not wait for inventory-service to be healthy" in found

    del broken["services"]["demo-stock"]
    assert "demo-stock: missing (make run stocks the demo catalog once all is ready)" in problems(broken)


def test_a_service_that_refuses_the_gateways_host_is_reported(compose):
    broken = copy.deepcopy(compose)
    broken["services"]["book-service"]["environment"]["ALLOWED_HOSTS"] = "book-service,127.0.0.1,localhost"
    assert "book-service: ALLOWED_HOSTS does not include gateway" in problems(broken)


def test_a_dispatcher_in_the_wrong_folder_or_started_too_early_is_reported(compose):
    broken = copy.deepcopy(compose)
    dispatcher = broken["services"]["order-dispatcher"]
    dispatcher["working_dir"] = "/app"
    dispatcher["depends_on"] = {"db": {"condition": "service_healthy"}}
    found = problems(broken)
    assert "order-dispatcher: working_dir is '/app', expected '/app/order_service'" in found
    assert any(p.startswith("order-dispatcher: does not wait for order-service") for p in found)

    del broken["services"]["order-dispatcher"]
    assert "order-dispatcher: missing" in problems(broken)


def test_missing_health_checks_and_unknown_dependencies_are_reported(compose):
    broken = copy.deepcopy(compose)
    gateway = broken["services"]["gateway"]
    gateway["healthcheck"] = {"test": ["CMD", "true"]}
    gateway["depends_on"] = {"databse": {"condition": "service_healthy"}}
    found = problems(broken)
    assert "gateway: no health check on /ready/ (python -m tools.healthcheck)" in found
    assert "gateway: does not wait for db to be healthy" in found
    assert "gateway: depends on databse, which is not a service" in found


def test_what_compose_would_refuse_fails_the_schema(compose):
    broken = copy.deepcopy(compose)
    broken["services"]["cart-service"]["restrat"] = "always"  # a typo Compose refuses
    broken["services"]["book-service"]["depends_on"] = {"db": {"condition": "service_ready"}}
    found = problems(broken)
    assert any(p.startswith("not valid Compose at services/cart-service") and "restrat" in p for p in found), found
    assert any(p.startswith("not valid Compose at services/book-service") for p in found), found


def test_a_key_written_twice_is_refused_as_compose_refuses_it(compose_text):
    # Two people adding the same dispatcher: PyYAML alone would keep one without a word.
    twice = compose_text.replace("\nvolumes:\n", "\n  order-dispatcher:\n    image: x\n\nvolumes:\n")
    with pytest.raises(yaml.YAMLError, match="'order-dispatcher' appears twice"):
        load_compose(twice)
    assert load_compose("a: &a {x: 1}\nb:\n  <<: *a\n  y: 2\n") == {"a": {"x": 1}, "b": {"x": 1, "y": 2}}


def test_variables_are_interpolated_as_compose_does():
    env = {"SET": "value", "EMPTY": ""}
    template = {"a": "${SET:-x}", "b": "${UNSET:-x}", "c": "${EMPTY:-x}", "d": "${EMPTY-x}"}
    template["e"] = ["$$HOME", 5, "${UNSET}"]
    template["f"] = "${UNSET:?set it}"
    assert interpolate(template, env) == {
        "a": "value",
        "b": "x",
        "c": "x",
        "d": "",
        "e": ["$HOME", 5, ""],
        "f": "<UNSET must be set>",
    }
    assert variables_used("${A:-1} ${B} $$C ${D-} ${E:?no}") == {"A": "1", "B": None, "D": "", "E": None}
    assert required_variables("${A:-1} ${E:?no} ${F?no}") == {"E", "F"}


def test_keys_with_a_default_are_refused():
    assert required_problems({"SECRET_KEY", "JWT_SIGNING_KEY"}) == []
    assert required_problems({"SECRET_KEY"}) == [
        "${JWT_SIGNING_KEY} has a default or none at all; it must be ${JWT_SIGNING_KEY:?...} (no built-in key may run)"
    ]


def test_the_env_example_must_document_every_variable_with_its_default():
    used = {"SECRET_KEY": "dev", "DEBUG": "false", "UNDOCUMENTED": "x"}
    documented = read_env_file("# a comment\nSECRET_KEY=dev\nDEBUG=true\n\nSTALE=1\n")
    assert env_example_problems(used, documented) == [
        "${UNDOCUMENTED} is not in .env.example",
        ".env.example sets DEBUG='true' but the file's default is 'false'",
        ".env.example sets STALE, which the file does not use",
    ]


def test_a_database_missing_from_the_init_script_is_reported():
    script = POSTGRES_INIT.read_text()
    assert init_script_problems(script) == []
    assert init_script_problems(script.replace(' inventory"', '"')) != []


@pytest.fixture
def service_logins():
    """The init script run against DATABASE_SERVER_URL with a prefix of its own; yields
    (server URL without user, prefix, password, admin URL) and drops what it made."""
    server = os.environ["DATABASE_SERVER_URL"].rstrip("/")
    parts = psycopg.conninfo.conninfo_to_dict(server)
    prefix, password = f"initcheck_{uuid.uuid4().hex[:8]}_", "pw1"
    env = {**os.environ, "BOOKSTORE_DB_PREFIX": prefix, "BOOKSTORE_DB_PASSWORD": password, "PGDATABASE": "postgres"}
    env.update(PGHOST=parts.get("host", "127.0.0.1"), PGPORT=str(parts.get("port", 5432)))
    env["PGUSER"] = parts.get("user", "postgres")
    address = f"{env['PGHOST']}:{env['PGPORT']}"
    try:
        for _ in range(2):  # running it again must work too
            subprocess.run(["bash", str(POSTGRES_INIT)], env=env, check=True, capture_output=True)
        yield address, prefix, password
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            for name in SERVICES:
                admin.execute(f'DROP DATABASE IF EXISTS "{prefix}{name}" WITH (FORCE)')
                admin.execute(f'DROP ROLE IF EXISTS "{prefix}{name}"')


needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_SERVER_URL") or not shutil.which("psql"), reason="needs PostgreSQL and psql"
)


@needs_postgres
def test_the_init_script_gives_each_service_a_login_that_reaches_only_its_database(service_logins):
    address, prefix, password = service_logins
    book, cart = f"{prefix}book", f"{prefix}cart"
    with psycopg.connect(f"postgres://{book}:{password}@{address}/{book}", autocommit=True) as conn:
        conn.execute("CREATE TABLE owned_here (id int)")
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(f"postgres://{book}:{password}@{address}/{cart}").close()


@needs_postgres
def test_the_migrate_jobs_and_the_pods_wait_work_with_each_services_own_login(service_logins):
    """What Kubernetes runs, run here: each migrate job's command as the service's own
    login (no superuser), then the Deployment's init container, which must then go through."""
    address, prefix, password = service_logins
    manifests = index(load(K8S_DIR)[1])
    # As in production: DEBUG off, and keys of its own (services refuse the built-in ones).
    keys = {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "JWT_SIGNING_KEY": secrets.token_urlsafe(50)}
    for name, service in SERVICES.items():
        login = f"{prefix}{name}"
        # The book job loads its demo catalog too (customer's needs cart_service running).
        env = {**os.environ, "SERVICE": name, "LOAD_DEMO_DATA": "1" if name == "book" else "0", **keys}
        env["DATABASE_URL"] = f"postgres://{login}:{password}@{address}/{login}"
        job = manifests[("Job", f"migrate-{name}")]["spec"]["template"]["spec"]["containers"][0]
        pod = manifests[("Deployment", compose_host(name))]["spec"]["template"]["spec"]
        waits = pod["initContainers"][0]
        for container in (job, waits):
            folder = REPO_DIR / PurePosixPath(container["workingDir"]).relative_to(APP_DIR)
            assert folder == REPO_DIR / service.folder
            command = [sys.executable if part == "python" else part for part in container["command"]]
            command = [part.replace("python manage.py", f"{sys.executable} manage.py") for part in command]
            done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, f"{name} {container['name']}: {done.stdout}{done.stderr}"
    with psycopg.connect(f"postgres://{prefix}book:{password}@{address}/{prefix}book") as conn:
        assert conn.execute("SELECT count(*) FROM catalog_book").fetchone()[0] > 0


def test_main_reports_the_first_problem_and_fails(monkeypatch, tmp_path, capsys):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text((REPO_DIR / "docker-compose.yml").read_text().replace("bookstore_cart\n", "bookstore_carts\n"))
    monkeypatch.setattr(check_compose, "COMPOSE_FILE", broken)
    assert check_compose.main() == 1
    assert "cart-service: DATABASE_URL" in capsys.readouterr().err

    broken.write_text("services:\n  db: {}\n  db: {}\n")
    assert check_compose.main() == 1
    assert "not valid YAML for Compose: 'db' appears twice" in capsys.readouterr().err


def test_an_image_built_twice_another_image_or_a_process_that_does_not_wait_for_the_build_is_reported(compose):
    broken = copy.deepcopy(compose)
    broken["services"]["book-service"]["build"] = "."
    broken["services"]["order-service"]["image"] = "bookstore:latest"
    # New mappings: the services share the one from the file's x-service anchor.
    broken["services"]["cart-service"]["depends_on"] = {"db": {"condition": "service_healthy"}}
    broken["services"]["gateway"]["depends_on"] = {"db": {"condition": "service_healthy"}, "image": {}}
    del broken["services"]["payment-dispatcher"]["init"]
    found = problems(broken)
    assert "book-service: builds an image of its own; only image builds, once" in found
    assert "order-service: runs image 'bookstore:latest', expected bookstore:local" in found
    assert "cart-service: does not wait for image (compose v1 would pull bookstore:local instead)" in found
    # customer-service waits for cart-service only: it no longer waits for the build either.
    assert "customer-service: does not wait for image (compose v1 would pull bookstore:local instead)" in found
    assert "gateway: waits for image with service_started, expected service_completed_successfully" in found
    assert "payment-dispatcher: no init: true (as the container's first process it would ignore SIGTERM)" in found
    # A dispatcher waits for the build through its service.
    assert not any(p.startswith("order-dispatcher: does not wait for image") for p in found)

    del broken["services"]["image"]
    assert "image: missing (the one service that builds bookstore:local)" in problems(broken)


def test_a_database_health_check_on_the_unix_socket_is_reported(compose):
    broken = copy.deepcopy(compose)
    broken["services"]["db"]["healthcheck"]["test"] = ["CMD-SHELL", "pg_isready -U postgres"]
    assert "db: the health check must be pg_isready over TCP (-h 127.0.0.1), not the Unix socket" in problems(broken)


def test_a_cache_missing_unchecked_not_waited_for_or_not_named_is_reported(compose):
    broken = copy.deepcopy(compose)
    broken["services"]["cache"]["healthcheck"]["test"] = ["CMD", "true"]
    # A new mapping: the services share the one from the file's x-service anchor.
    broken["services"]["cart-service"]["depends_on"] = {"db": {"condition": "service_healthy"}, "image": {}}
    broken["services"]["order-dispatcher"]["environment"] = {
        **broken["services"]["order-dispatcher"]["environment"],
        "REDIS_URL": "redis://localhost:6379/0",
    }
    found = problems(broken)
    assert "cache: the health check must be redis-cli ping" in found
    assert "cart-service: does not wait for cache to be healthy" in found
    assert "order-dispatcher: REDIS_URL is 'redis://localhost:6379/0', expected 'redis://cache:6379/0'" in found
    assert not any(p.startswith("cache: runs") for p in found)  # not a process of make run's

    del broken["services"]["cache"]
    found = problems(broken)
    assert "no 'cache' (Redis) service" in found
    assert "gateway: depends on cache, which is not a service" in found


def test_a_service_with_less_time_to_stop_than_its_grace_period_is_reported(compose):
    broken = copy.deepcopy(compose)
    del broken["services"]["book-service"]["stop_grace_period"]
    broken["services"]["cart-service"]["stop_grace_period"] = "20s"
    broken["services"]["gateway"]["stop_grace_period"] = "1m"
    found = problems(broken)
    assert any(p.startswith("book-service: stop_grace_period 10s (the default) must be longer") for p in found)
    assert any(p.startswith("cart-service: stop_grace_period 20s must be longer") for p in found)
    assert not any(p.startswith("gateway: stop_grace_period") for p in found)


@pytest.mark.parametrize(
    ("text", "seconds"), [("25s", 25), ("1m30s", 90), ("1h", 3600), ("500ms", 0.5), ("25", None), ("s", None)]
)
def test_compose_durations_are_read_as_compose_reads_them(text, seconds):
    assert check_compose.duration_seconds(text) == seconds
