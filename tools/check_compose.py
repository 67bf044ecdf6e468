"""`make check-compose` (and `make lint`): docker-compose.yml says what the code and `make run` say.

There is no Docker engine where the tests run, so this checks the file itself:

- it is valid Compose: no key twice in one mapping (PyYAML would keep the last, Compose
  refuses the file), and after interpolation it passes the compose-spec JSON schema
  (the copy that check-jsonschema vendors, so no network is needed);
- every process `make run` starts (each service's `python -m tools.serve <name>` and
  each outbox dispatcher) has a compose service with the same command, working
  directory, port and database, every peer URL names the right host and port, and
  nothing else claims to be a service or a dispatcher;
- make run's demo stock step has its one-shot container, started once what it calls is healthy;
- health checks and depends_on conditions are in place, and every depends_on target exists;
  the database's health check goes over TCP (the init scripts run on a socket-only server);
- the Redis cache is there with its health check, every process's REDIS_URL names it and
  the services wait for it;
- one image, built once: only the `image` service builds it, every other process runs it
  and waits (directly or through another) for that build, under Docker's init;
- the services have more than SHUTDOWN_GRACE_SECONDS to stop (stop_grace_period) before
  Docker sends SIGKILL;
- every ${VARIABLE} the file uses is documented in .env.example with the same default, and
  the keys have none: compose refuses to start without them (docker/new_env.py makes .env);
- the PostgreSQL init script creates the databases common/registry.py names;
- the optional observability overlay (docker-compose.observability.yml) is valid Compose,
  turns tracing on in every process, mounts files that exist and scrapes every service.

Prints what is wrong and exits 1, or exits 0.
"""

import json
import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePosixPath

import jsonschema
import yaml

from common.outbox import DISPATCHING_SERVICES
from common.registry import SERVICES
from tools.serve import SHUTDOWN_GRACE_SECONDS
from tools.stack import REPO_DIR, serve_command

COMPOSE_FILE = REPO_DIR / "docker-compose.yml"
ENV_EXAMPLE = REPO_DIR / ".env.example"
POSTGRES_INIT = REPO_DIR / "docker" / "postgres-init.sh"
APP_DIR = PurePosixPath("/app")  # the Dockerfile's WORKDIR: the repository root in the image
DISPATCH_ARGS = ("manage.py", "dispatch_events")
# Once everything is ready, make run stocks the demo catalog through the gateway
# (tools/demo_stock.py); compose does it in a one-shot container that waits for these.
DEMO_STOCK = "demo-stock"
DEMO_STOCK_COMMAND = "python -m tools.demo_stock http://gateway:1000"
DEMO_STOCK_NEEDS = ("gateway", "book", "customer", "inventory")
# The one service that builds the image all the others run.
IMAGE_SERVICE = "image"
IMAGE = "bookstore:local"
# Redis, the cache every process shares (docs/architecture.md, "Caches"); like db, a
# container of its own image that is no process of make run's.
CACHE = "cache"
CACHE_URL = f"redis://{CACHE}:6379/0"
_DURATION = re.compile(r"(?P<number>\d+(?:\.\d+)?)(?P<unit>h|ms|m|s|us)")
_SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 0.000001}

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}; $$ is a literal dollar.
_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<default>[^}]*))?\}")
# The services refuse the repository's development keys with DEBUG off (common/checks.py),
# so compose must not start without keys of the user's own: no default, ever.
REQUIRED_VARIABLES = ("SECRET_KEY", "JWT_SIGNING_KEY")


@dataclass(frozen=True)
class Process:
    """One process of the system as `make run` starts it."""

    name: str  # honcho's name for it under make run: "book", "order-dispatcher"
    service: str  # the service whose settings and database it uses
    args: tuple[str, ...]  # the command after the Python interpreter
    folder: str  # working directory, relative to the repository root ("" for the root)


def expected_processes() -> list[Process]:
    """What `make run` starts (tests/tools/test_check_compose.py checks this against tools/run.py)."""
    processes = [Process(name, name, tuple(serve_command(name)[1:]), "") for name in SERVICES]
    processes += [
        Process(f"{name}-dispatcher", name, DISPATCH_ARGS, SERVICES[name].folder) for name in DISPATCHING_SERVICES
    ]
    return processes


def compose_host(name: str) -> str:
    """The compose service (and Kubernetes Service) name of a service: gateway, book-service, ..."""
    return "gateway" if name == "gateway" else f"{name}-service"


def compose_name(process: Process) -> str:
    return compose_host(process.name) if process.name in SERVICES else process.name


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys without a word; Compose refuses the file."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        # Only the keys written here: what a merge (<<: *anchor) brings in may be overridden.
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} appears twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_compose(text: str) -> dict:
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)


def variables_used(text: str) -> dict[str, str | None]:
    """Each ${NAME} in the text with its default (None if it has none, or must be set)."""
    found: dict[str, str | None] = {}
    for match in _VARIABLE.finditer(text):
        if match["name"]:
            found[match["name"]] = match["default"] if match["op"] in {":-", "-"} else None
    return found


def required_variables(text: str) -> set[str]:
    """The ${NAME:?error} and ${NAME?error} of the text: compose stops if they are not set."""
    return {match["name"] for match in _VARIABLE.finditer(text) if match["op"] in {":?", "?"}}


def interpolate(value, env: dict[str, str]):
    """Substitutes variables the way Compose does, in every string of a loaded file."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, default = match["name"], match["op"], match["default"] or ""
        if op == ":-":
            return env.get(name) or default
        if op == "-":
            return env.get(name, default)
        if op in {":?", "?"}:  # compose would stop; check the rest of the file all the same
            return (env.get(name) if op == ":?" else env.get(name, "")) or f"<{name} must be set>"
        return env.get(name, "")

    return _VARIABLE.sub(substitute, value)


def read_env_file(text: str) -> dict[str, str]:
    """KEY=value lines of a .env file; comments and blank lines skipped."""
    env = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key.strip()] = value.strip()
    return env


def schema_problems(compose: dict) -> list[str]:
    schema_text = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text()
    validator = jsonschema.Draft202012Validator(json.loads(schema_text))
    return [
        f"not valid Compose at {'/'.join(map(str, error.absolute_path)) or 'the top'}: {error.message}"
        for error in sorted(validator.iter_errors(compose), key=lambda error: list(map(str, error.absolute_path)))
    ]


def required_problems(required: set[str]) -> list[str]:
    return [
        f"${{{name}}} has a default or none at all; it must be ${{{name}:?...}} (no built-in key may run)"
        for name in REQUIRED_VARIABLES
        if name not in required
    ]


def env_example_problems(used: dict[str, str | None], documented: dict[str, str]) -> list[str]:
    found = [f"${{{name}}} is not in .env.example" for name in used if name not in documented]
    found += [
        f".env.example sets {name}={documented[name]!r} but the file's default is {default!r}"
        for name, default in used.items()
        if name in documented and default is not None and documented[name] != default
    ]
    found += [f".env.example sets {name}, which the file does not use" for name in documented if name not in used]
    return found


def _depends_on(entry: dict) -> dict[str, dict]:
    depends = entry.get("depends_on") or {}
    return {name: {} for name in depends} if isinstance(depends, list) else depends


def _service_problems(process: Process, entry: dict, db_password: str) -> list[str]:
    host = compose_name(process)
    service = SERVICES[process.service]
    env = {key: str(value) for key, value in (entry.get("environment") or {}).items()}
    expect = {
        "command": ["python", *process.args],
        "working_dir": str(APP_DIR / process.folder) if process.folder else None,
        "SERVICE": process.service,
        "HOST": "0.0.0.0",  # noqa: S104 (inside a container)
        "LOAD_DEMO_DATA": "1",  # as make run
        "DATABASE_URL": f"postgres://{service.database_name}:{db_password}@db:5432/{service.database_name}",
        "REDIS_URL": CACHE_URL,
    }
    for peer_name, peer in SERVICES.items():
        expect[peer.port_var] = str(peer.default_port)
        expect[peer.url_var] = f"http://{compose_host(peer_name)}:{peer.default_port}"
    actual = {key: entry.get(key) if key in {"command", "working_dir"} else env.get(key) for key in expect}
    found = [
        f"{host}: {key} is {actual[key]!r}, expected {value!r}" for key, value in expect.items() if actual[key] != value
    ]
    if process.name in SERVICES:
        allowed = env.get("ALLOWED_HOSTS", "").split(",")
        # Its peers call it by its host name, the health check by 127.0.0.1, and a client that
        # calls the gateway by its name (demo-stock) passes "gateway" on as X-Forwarded-Host.
        needed = (host, "gateway", "127.0.0.1")
        found += [f"{host}: ALLOWED_HOSTS does not include {h}" for h in needed if h not in allowed]
        if entry.get("healthcheck", {}).get("test") != ["CMD", "python", "-m", "tools.healthcheck"]:
            found.append(f"{host}: no health check on /ready/ (python -m tools.healthcheck)")
        found += [
            f"{host}: does not wait for {other} to be healthy"
            for other in ("db", CACHE)
            if _depends_on(entry).get(other, {}).get("condition") != "service_healthy"
        ]
    else:
        owner = compose_host(process.service)
        if _depends_on(entry).get(owner, {}).get("condition") != "service_healthy":
            found.append(f"{host}: does not wait for {owner} to be healthy (it migrates the database)")
    return found


def demo_stock_problems(entry: dict | None) -> list[str]:
    if entry is None:
        return [f"{DEMO_STOCK}: missing (make run stocks the demo catalog once all is ready)"]
    found = []
    command = " ".join(entry.get("command") or [])
    if DEMO_STOCK_COMMAND not in command or "LOAD_DEMO_DATA" not in command:
        found.append(f"{DEMO_STOCK}: does not run {DEMO_STOCK_COMMAND!r} when LOAD_DEMO_DATA is 1")
    if entry.get("restart") not in {"no", "on-failure"}:
        found.append(f"{DEMO_STOCK}: restart {entry.get('restart')!r} would run it again after it is done")
    depends = _depends_on(entry)
    found += [
        f"{DEMO_STOCK}: does not wait for {compose_host(name)} to be healthy"
        for name in DEMO_STOCK_NEEDS
        if depends.get(compose_host(name), {}).get("condition") != "service_healthy"
    ]
    return found


def duration_seconds(value: str) -> float | None:
    """A compose duration ("25s", "1m30s") in seconds; None if it is not one."""
    parts = list(_DURATION.finditer(value))
    if not parts or "".join(part.group(0) for part in parts) != value:
        return None
    return sum(float(part["number"]) * _SECONDS[part["unit"]] for part in parts)


def _waits_for(services: dict, name: str, target: str) -> bool:
    """Whether `name` starts after `target`, directly or through what it depends on."""
    seen, pending = set(), [name]
    while pending:
        for other in _depends_on(services.get(pending.pop()) or {}):
            if other == target:
                return True
            if other not in seen:
                seen.add(other)
                pending.append(other)
    return False


def image_problems(services: dict) -> list[str]:
    builder = services.get(IMAGE_SERVICE)
    if builder is None:
        return [f"{IMAGE_SERVICE}: missing (the one service that builds {IMAGE})"]
    found = []
    if builder.get("image") != IMAGE or not builder.get("build"):
        found.append(f"{IMAGE_SERVICE}: must build {IMAGE} (build: and image: {IMAGE})")
    for host, entry in services.items():
        if host in {"db", CACHE, IMAGE_SERVICE}:
            continue
        if entry.get("build"):
            found.append(f"{host}: builds an image of its own; only {IMAGE_SERVICE} builds, once")
        if entry.get("image") != IMAGE:
            found.append(f"{host}: runs image {entry.get('image')!r}, expected {IMAGE}")
        if entry.get("init") is not True:
            found.append(f"{host}: no init: true (as the container's first process it would ignore SIGTERM)")
        if not _waits_for(services, host, IMAGE_SERVICE):
            found.append(f"{host}: does not wait for {IMAGE_SERVICE} (compose v1 would pull {IMAGE} instead)")
        direct = _depends_on(entry)
        condition = direct.get(IMAGE_SERVICE, {}).get("condition", "service_started")
        if IMAGE_SERVICE in direct and condition != "service_completed_successfully":
            found.append(f"{host}: waits for {IMAGE_SERVICE} with {condition}, expected service_completed_successfully")
    return found


def stop_problems(services: dict) -> list[str]:
    found = []
    for name in SERVICES:
        entry = services.get(compose_host(name)) or {}
        grace = duration_seconds(str(entry.get("stop_grace_period", "10s")))
        if grace is None or grace <= SHUTDOWN_GRACE_SECONDS:
            found.append(
                f"{compose_host(name)}: stop_grace_period {entry.get('stop_grace_period', '10s (the default)')} "
                f"must be longer than SHUTDOWN_GRACE_SECONDS ({SHUTDOWN_GRACE_SECONDS} s)"
            )
    return found


def init_script_problems(script: str) -> list[str]:
    match = re.search(r'^services="([^"]*)"', script, re.MULTILINE)
    listed = match.group(1).split() if match else []
    prefix = re.search(r"^prefix=\$\{BOOKSTORE_DB_PREFIX:-(\w+)\}", script, re.MULTILINE)
    databases = [f"{prefix.group(1) if prefix else '?'}{name}" for name in listed]
    wanted = [service.database_name for service in SERVICES.values()]
    return [] if databases == wanted else [f"docker/postgres-init.sh creates {databases}, expected {wanted}"]


def problems(compose: dict, *, env: dict[str, str] | None = None, init_script: str | None = None) -> list[str]:
    """What is wrong with a loaded (not yet interpolated) compose file. `env` stands for
    .env and the shell's variables (none: the file's defaults)."""
    resolved = interpolate(compose, env or {})
    found = schema_problems(resolved)
    services = resolved.get("services") or {}
    db = services.get("db")
    if db is None:
        return [*found, "no 'db' (PostgreSQL) service"]
    db_env = db.get("environment") or {}
    db_password = str(db_env.get("BOOKSTORE_DB_PASSWORD", ""))
    if not db_password:
        found.append("db: BOOKSTORE_DB_PASSWORD (the password of the service logins) is not set")
    if not any(str(volume).startswith("./docker/postgres-init.sh:") for volume in db.get("volumes") or []):
        found.append("db: docker/postgres-init.sh is not mounted into /docker-entrypoint-initdb.d/")
    db_check = " ".join(db.get("healthcheck", {}).get("test") or [])
    if "pg_isready" not in db_check or "-h 127.0.0.1" not in db_check:
        found.append("db: the health check must be pg_isready over TCP (-h 127.0.0.1), not the Unix socket")
    if init_script is not None:
        found += init_script_problems(init_script)
    cache = services.get(CACHE)
    if cache is None:
        found.append(f"no {CACHE!r} (Redis) service")
    elif (cache.get("healthcheck") or {}).get("test") != ["CMD", "redis-cli", "ping"]:
        found.append(f"{CACHE}: the health check must be redis-cli ping")

    expected = {compose_name(process): process for process in expected_processes()}
    for host, process in expected.items():
        if host not in services:
            found.append(f"{host}: missing")
        else:
            found += _service_problems(process, services[host], db_password)
    found += demo_stock_problems(services.get(DEMO_STOCK))
    found += image_problems(services)
    found += stop_problems(services)
    found += [
        f"{host}: runs {entry.get('command')!r}, which make run does not start"
        for host, entry in services.items()
        if host not in {"db", CACHE, DEMO_STOCK, IMAGE_SERVICE} and host not in expected
    ]
    for host, entry in services.items():
        unknown = [other for other in _depends_on(entry) if other not in services]
        found += [f"{host}: depends on {other}, which is not a service" for other in unknown]

    gateway_port = SERVICES["gateway"].default_port
    if f"{gateway_port}:{gateway_port}" not in services.get("gateway", {}).get("ports", []):
        found.append(f"gateway: port {gateway_port} is not published")
    return found


OBSERVABILITY_FILE = REPO_DIR / "docker-compose.observability.yml"
OTLP_ENDPOINT = "http://jaeger:4318"


def observability_problems(overlay: dict, base: dict) -> list[str]:
    """docker-compose.observability.yml, the optional overlay: valid Compose on its own, no
    service of the base's left out of tracing (every process exports to its Jaeger), the
    files it mounts there, and its Prometheus scraping every service at its compose host."""
    found = schema_problems(overlay)
    services = overlay.get("services") or {}
    for process in expected_processes():
        name = compose_name(process)
        if name not in (base.get("services") or {}):
            continue  # the base's own check says so
        endpoint = ((services.get(name) or {}).get("environment") or {}).get("OTEL_EXPORTER_OTLP_ENDPOINT")
        if endpoint != OTLP_ENDPOINT:
            found.append(f"{name}: OTEL_EXPORTER_OTLP_ENDPOINT is {endpoint!r}, expected {OTLP_ENDPOINT}")
    if "jaeger" not in services:
        found.append("no jaeger service to receive the traces")
    for name, entry in services.items():
        for volume in entry.get("volumes") or []:
            source = str(volume).split(":", 1)[0]
            if source.startswith("./") and not (REPO_DIR / source).exists():
                found.append(f"{name}: mounts {source}, which does not exist")
    scrape = yaml.safe_load((REPO_DIR / "deploy" / "observability" / "prometheus-compose.yml").read_text())
    targets = {
        target for job in scrape["scrape_configs"] for static in job["static_configs"] for target in static["targets"]
    }
    wanted = {f"{compose_host(name)}:{service.default_port}" for name, service in SERVICES.items()}
    if targets != wanted:
        found.append(f"prometheus-compose.yml scrapes {sorted(targets)}, expected {sorted(wanted)}")
    return found


def main() -> int:
    text = COMPOSE_FILE.read_text()
    try:
        compose = load_compose(text)
    except yaml.YAMLError as error:
        print(f"docker-compose.yml: not valid YAML for Compose: {error}", file=sys.stderr)
        return 1
    found = env_example_problems(variables_used(text), read_env_file(ENV_EXAMPLE.read_text()))
    found += required_problems(required_variables(text))
    found += problems(compose, init_script=POSTGRES_INIT.read_text())
    for problem in found:
        print(f"docker-compose.yml: {problem}", file=sys.stderr)
    overlay = observability_problems(load_compose(OBSERVABILITY_FILE.read_text()), compose)
    for problem in overlay:
        print(f"docker-compose.observability.yml: {problem}", file=sys.stderr)
    found += overlay
    if not found:
        print(
            "docker-compose.yml is valid Compose and matches make run, common/registry.py, "
            ".env.example and docker/postgres-init.sh"
        )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
