"""`make check-kubernetes` (and `make lint`): deploy/k8s/ is valid Kubernetes and says what the code says.

No cluster is needed (nor a network): every manifest is validated, strictly (unknown
fields are errors), against the Kubernetes JSON schemas that the kubernetes-validate
package ships, for the oldest and the newest Kubernetes version we support. Then:

- kustomization.yaml lists every manifest of the folder, and only those; the Secret it
  generates from secrets.env has a committed secrets.env.example, and git ignores secrets.env;
- every process `make run` starts has its Deployment, with the same command (services
  start with --no-migrate: the migrate jobs migrate), working directory, port and
  database, and every service has a Service on its port, a readiness probe on /ready/
  and a liveness probe on /health/ sent with a Host that ALLOWED_HOSTS accepts;
- every service pauses before SIGTERM (a preStop `sleep`, so it serves what is routed to
  it while it leaves its Service's endpoints) and has time for the pause and
  SHUTDOWN_GRACE_SECONDS within terminationGracePeriodSeconds;
- every service has a migrate job that loads demo data exactly where the service has some,
  and make run's demo stock step has its job;
- the ConfigMap's ports and URLs are those of common/registry.py, every Secret and
  ConfigMap a pod refers to exists with that key, and the development PostgreSQL runs
  docker/postgres-init.sh unchanged;
- the ConfigMap's REDIS_URL names a Redis, and when that is redis.yaml's, its Deployment
  has `redis-cli ping` probes and its Service the port;
- every service's pods carry the Prometheus scrape annotations with their port, and the
  optional observability overlay (deploy/observability: Jaeger, Prometheus, Grafana) is
  valid, complete, and points the ConfigMap's OTEL_EXPORTER_OTLP_ENDPOINT at its Jaeger.

Prints what is wrong and exits 1, or exits 0.
"""

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import yaml

from common.registry import SERVICES
from tools.check_compose import (
    APP_DIR,
    DEMO_STOCK,
    DEMO_STOCK_COMMAND,
    POSTGRES_INIT,
    Process,
    UniqueKeyLoader,
    compose_host,
    expected_processes,
)
from tools.serve import SHUTDOWN_GRACE_SECONDS
from tools.stack import REPO_DIR, service_dir

K8S_DIR = REPO_DIR / "deploy" / "k8s"
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
CONFIG_MAP = "bookstore-config"
SECRET = "bookstore-secrets"  # noqa: S105 (the Secret's name, not a password)
# The development Redis of redis.yaml (Deployment and Service), the services' cache.
CACHE = "redis"

Manifests = dict[tuple[str, str], dict]  # (kind, name) -> the manifest


def load(folder: Path) -> tuple[dict, dict[str, list[dict]]]:
    """The kustomization and every other manifest file's documents, by path relative to the folder."""
    kustomization = yaml.load((folder / "kustomization.yaml").read_text(), Loader=UniqueKeyLoader)  # noqa: S506
    kustomization["folder"] = folder  # where its generators' files are
    files = {
        path.relative_to(folder).as_posix(): [
            doc for doc in yaml.load_all(path.read_text(), Loader=UniqueKeyLoader) if doc
        ]
        for path in sorted(folder.rglob("*.yaml"))
        if path.name != "kustomization.yaml"
    }
    return kustomization, files


def schema_problems(files: dict[str, list[dict]], versions=KUBERNETES_VERSIONS) -> list[str]:
    found = []
    for path, docs in files.items():
        for doc in docs:
            what = f"{path}: {doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
            for version in versions:
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                except kubernetes_validate.ValidationError as error:
                    where = ".".join(map(str, error.path)) or "the top"
                    found.append(f"{what}: not valid for Kubernetes {version} at {where}: {error.message}")
                except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.InvalidSchemaError) as error:
                    found.append(f"{what}: no schema for Kubernetes {version} ({error})")
    return found


def kustomization_problems(kustomization: dict, files: dict[str, list[dict]]) -> list[str]:
    listed = kustomization.get("resources") or []
    found = [f"kustomization.yaml lists {path}, which does not exist" for path in listed if path not in files]
    found += [
        f"{path} is not listed in kustomization.yaml, so it is never applied" for path in files if path not in listed
    ]
    return found


def generated_secrets(kustomization: dict) -> tuple[list[dict], list[str]]:
    """The Secrets the secretGenerator makes, with the keys of each env file's committed
    .example (the env files themselves hold real secrets and are git-ignored), and problems."""
    folder: Path = kustomization["folder"]
    made, found = [], []
    for generator in kustomization.get("secretGenerator") or []:
        keys = {}
        for env_file in generator.get("envs") or []:
            example = folder / f"{env_file}.example"
            if not example.exists():
                found.append(f"kustomization.yaml: {env_file} has no {env_file}.example to make it from")
                continue
            for line in example.read_text().splitlines():
                if line.strip() and not line.startswith("#") and "=" in line:
                    key, value = line.split("=", 1)
                    keys[key.strip()] = value.strip()
            if not git_ignored(folder / env_file):
                found.append(f"kustomization.yaml: {env_file} holds secrets but git does not ignore it")
        made.append({"kind": "Secret", "metadata": {"name": generator["name"]}, "stringData": keys})
    return made, found


def git_ignored(path: Path) -> bool:
    """Whether git ignores the path. Outside a git work tree (a copy, an unpacked archive)
    there is no one to ask, and nothing can be committed by mistake: yes."""
    done = subprocess.run(
        ["git", "check-ignore", "-q", str(path)],
        cwd=path.parent,
        capture_output=True,
        check=False,
    )
    return done.returncode != 1  # 0: ignored, 1: not ignored, 128: not in a work tree


def _env(container: dict) -> dict[str, dict]:
    return {item["name"]: item for item in container.get("env") or []}


def _secret_key(container: dict, name: str) -> tuple[str, str] | None:
    ref = (_env(container).get(name) or {}).get("valueFrom", {}).get("secretKeyRef")
    return (ref["name"], ref["key"]) if ref else None


def _pod(manifest: dict) -> dict:
    return manifest["spec"]["template"]["spec"]


def _process_env_problems(what: str, container: dict, process: Process) -> list[str]:
    env = _env(container)
    found = []
    if (env.get("SERVICE") or {}).get("value") != process.service:
        found.append(f"{what}: SERVICE is not {process.service!r}")
    if _secret_key(container, "DATABASE_URL") != (SECRET, f"{process.service}-database-url"):
        found.append(f"{what}: DATABASE_URL does not come from {SECRET}/{process.service}-database-url")
    if {"configMapRef": {"name": CONFIG_MAP}} not in (container.get("envFrom") or []):
        found.append(f"{what}: does not read the {CONFIG_MAP} ConfigMap")
    return found


def _probe_problems(what: str, container: dict, allowed_hosts: list[str]) -> list[str]:
    found = []
    for probe, path in (("readinessProbe", "/ready/"), ("livenessProbe", "/health/")):
        http = (container.get(probe) or {}).get("httpGet") or {}
        if http.get("path") != path or http.get("port") not in {
            "http",
            *[p["containerPort"] for p in container["ports"]],
        }:
            found.append(f"{what}: no {probe} on {path}")
            continue
        # The kubelet sends the pod's IP as Host unless told otherwise: Django would answer 400.
        host = {h["name"].lower(): h["value"] for h in http.get("httpHeaders") or []}.get("host")
        if host not in allowed_hosts:
            found.append(f"{what}: the {probe} is sent with Host {host!r}, which ALLOWED_HOSTS refuses")
    return found


def _stop_problems(what: str, pod: dict, container: dict) -> list[str]:
    command = (((container.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}).get("command") or []
    if len(command) != 2 or command[0] != "sleep" or not command[1].isdigit():
        return [f"{what}: no preStop pause (exec sleep N) before SIGTERM"]
    needed = int(command[1]) + SHUTDOWN_GRACE_SECONDS
    grace = pod.get("terminationGracePeriodSeconds", 30)  # Kubernetes' default
    if grace <= needed:
        return [
            f"{what}: terminationGracePeriodSeconds {grace} leaves no time over the preStop pause and "
            f"SHUTDOWN_GRACE_SECONDS ({needed} s)"
        ]
    return []


def _waits_for_migrations(what: str, pod: dict, process: Process, folder: str) -> list[str]:
    for init in pod.get("initContainers") or []:
        if "migrate --check" in " ".join(init.get("command") or []) and init.get("workingDir") == folder:
            return _process_env_problems(f"{what} (init container {init['name']})", init, process)
    return [f"{what}: does not wait for its migrations (an init container running migrate --check in {folder})"]


def deployment_problems(manifests: Manifests, allowed_hosts: list[str]) -> list[str]:
    found = []
    expected = {}
    for process in expected_processes():
        service = SERVICES[process.service]
        folder = str(APP_DIR / service.folder)
        if process.name in SERVICES:
            name = compose_host(process.name)
            command = ["python", *process.args, "--no-migrate"]
            workdir = None
        else:
            name, command, workdir = process.name, ["python", *process.args], str(APP_DIR / process.folder)
        expected[name] = process
        deployment = manifests.get(("Deployment", name))
        if deployment is None:
            found.append(f"Deployment/{name}: missing")
            continue
        what = f"Deployment/{name}"
        pod = _pod(deployment)
        if deployment["spec"]["selector"].get("matchLabels", {}).items() - pod_labels(deployment).items():
            found.append(f"{what}: its selector does not match its pods' labels")
        container = pod["containers"][0]
        if container.get("command") != command:
            found.append(f"{what}: command is {container.get('command')!r}, expected {command!r}")
        if container.get("workingDir") != workdir:
            found.append(f"{what}: workingDir is {container.get('workingDir')!r}, expected {workdir!r}")
        found += _process_env_problems(what, container, process)
        found += _waits_for_migrations(what, pod, process, folder)
        if process.name not in SERVICES:
            continue
        if (_env(container).get("LOAD_DEMO_DATA") or {}).get("value") != "0":
            found.append(f'{what}: LOAD_DEMO_DATA is not "0" (every replica would load demo data on start)')
        if [p.get("containerPort") for p in container.get("ports") or []] != [service.default_port]:
            found.append(f"{what}: does not listen on port {service.default_port}")
        else:
            found += _probe_problems(what, container, allowed_hosts)
        found += _stop_problems(what, pod, container)
        found += service_problems(manifests, name, service.default_port, pod_labels(deployment))
    found += [
        f"Deployment/{name}: runs {_pod(m)['containers'][0].get('command')!r}, which make run does not start"
        for (kind, name), m in manifests.items()
        if kind == "Deployment" and name not in expected and name != CACHE
    ]
    return found


def pod_labels(manifest: dict) -> dict:
    return manifest["spec"]["template"].get("metadata", {}).get("labels") or {}


def service_problems(manifests: Manifests, name: str, port: int, labels: dict) -> list[str]:
    service = manifests.get(("Service", name))
    if service is None:
        return [f"Service/{name}: missing"]
    found = []
    selector = service["spec"].get("selector") or {}
    if not selector or selector.items() - labels.items():
        found.append(f"Service/{name}: its selector does not pick the Deployment's pods")
    if [p.get("port") for p in service["spec"].get("ports") or []] != [port]:
        found.append(f"Service/{name}: does not serve port {port}")
    return found


def job_problems(manifests: Manifests) -> list[str]:
    found = []
    for name, service in SERVICES.items():
        job = manifests.get(("Job", f"migrate-{name}"))
        if job is None:
            found.append(f"Job/migrate-{name}: missing")
            continue
        container = _pod(job)["containers"][0]
        what = f"Job/migrate-{name}"
        script = " ".join(container.get("command") or [])
        if "manage.py migrate --noinput" not in script:
            found.append(f"{what}: does not run manage.py migrate --noinput")
        has_demo = any(service_dir(service).glob("*/management/commands/load_demo_data.py"))
        if has_demo != ("load_demo_data" in script):
            found.append(
                f"{what}: loads demo data, but the service has none"
                if not has_demo
                else f"{what}: does not load the service's demo data (LOAD_DEMO_DATA=1)"
            )
        if container.get("workingDir") != str(APP_DIR / service.folder):
            found.append(f"{what}: workingDir is not {APP_DIR / service.folder}")
        found += _process_env_problems(what, container, Process(name, name, (), service.folder))
    return found


def demo_stock_problems(manifests: Manifests) -> list[str]:
    job = manifests.get(("Job", DEMO_STOCK))
    if job is None:
        return [f"Job/{DEMO_STOCK}: missing (make run stocks the demo catalog once all is ready)"]
    script = " ".join(_pod(job)["containers"][0].get("command") or [])
    if DEMO_STOCK_COMMAND not in script or "LOAD_DEMO_DATA" not in script:
        return [f"Job/{DEMO_STOCK}: does not run {DEMO_STOCK_COMMAND!r} when LOAD_DEMO_DATA is 1"]
    return []


def config_problems(manifests: Manifests) -> list[str]:
    config = (manifests.get(("ConfigMap", CONFIG_MAP)) or {}).get("data") or {}
    if not config:
        return [f"ConfigMap/{CONFIG_MAP}: missing"]
    expect = {"HOST": "0.0.0.0", "DEBUG": "false"}  # noqa: S104 (inside a container)
    for name, service in SERVICES.items():
        expect[service.port_var] = str(service.default_port)
        expect[service.url_var] = f"http://{compose_host(name)}:{service.default_port}"
    found = [
        f"ConfigMap/{CONFIG_MAP}: {key} is {config.get(key)!r}, expected {value!r}"
        for key, value in expect.items()
        if config.get(key) != value
    ]
    allowed = config.get("ALLOWED_HOSTS", "").split(",")
    found += [
        f"ConfigMap/{CONFIG_MAP}: ALLOWED_HOSTS does not include {compose_host(name)} (its peers call it so)"
        for name in SERVICES
        if compose_host(name) not in allowed
    ]
    return found


def _references(container: dict):
    """(Secret or ConfigMap, its name, the key or None for all of it) for everything a container reads."""
    for item in container.get("env") or []:
        value_from = item.get("valueFrom") or {}
        for kind, ref in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
            if ref in value_from:
                yield kind, value_from[ref]["name"], value_from[ref]["key"]
    for source in container.get("envFrom") or []:
        kind, ref = ("ConfigMap", "configMapRef") if "configMapRef" in source else ("Secret", "secretRef")
        yield kind, source[ref]["name"], None


def reference_problems(manifests: Manifests) -> list[str]:
    """Every Secret and ConfigMap key a pod reads exists (a typo would keep the pod from starting)."""
    found = []
    for (kind, name), manifest in manifests.items():
        if kind not in {"Deployment", "StatefulSet", "Job"}:
            continue
        pod = _pod(manifest)
        for container in [*(pod.get("initContainers") or []), *pod["containers"]]:
            for ref_kind, ref_name, key in _references(container):
                target = manifests.get((ref_kind, ref_name))
                keys = {**((target or {}).get("data") or {}), **((target or {}).get("stringData") or {})}
                if target is None or (key is not None and key not in keys):
                    missing = f"{ref_kind}/{ref_name}" + (f" key {key!r}" if key else "")
                    found.append(f"{kind}/{name}: reads {missing}, which does not exist")
    return sorted(set(found))


def secret_problems(manifests: Manifests) -> list[str]:
    data = (manifests.get(("Secret", SECRET)) or {}).get("stringData") or {}
    found = []
    for name, service in SERVICES.items():
        url = urlsplit(data.get(f"{name}-database-url", ""))
        if url.path != f"/{service.database_name}" or url.username != service.database_name:
            found.append(f"Secret/{SECRET}: {name}-database-url is not bookstore_{name}'s login on its own database")
    return found


def postgres_problems(manifests: Manifests) -> list[str]:
    init = manifests.get(("ConfigMap", "postgres-init"))
    if init is None:
        return []  # an external server: nothing to compare
    if list((init.get("data") or {}).values()) != [POSTGRES_INIT.read_text()]:
        return ["ConfigMap/postgres-init: differs from docker/postgres-init.sh"]
    return []


def cache_problems(manifests: Manifests) -> list[str]:
    """REDIS_URL names a Redis; if redis.yaml's, it is there, probed, behind its Service."""
    config = (manifests.get(("ConfigMap", CONFIG_MAP)) or {}).get("data") or {}
    url = urlsplit(config.get("REDIS_URL") or "")
    if url.scheme not in {"redis", "rediss"} or not url.hostname:
        return [
            f"ConfigMap/{CONFIG_MAP}: REDIS_URL {config.get('REDIS_URL')!r} names no Redis "
            "(each replica would cache for itself and miss the others' writes)"
        ]
    if url.hostname != CACHE:
        return []  # a managed Redis: nothing to compare
    deployment = manifests.get(("Deployment", CACHE))
    if deployment is None:
        return [f"ConfigMap/{CONFIG_MAP}: REDIS_URL names {CACHE}, but there is no Deployment/{CACHE}"]
    container = _pod(deployment)["containers"][0]
    found = [
        f"Deployment/{CACHE}: no {probe} running redis-cli ping"
        for probe in ("readinessProbe", "livenessProbe")
        if ((container.get(probe) or {}).get("exec") or {}).get("command") != ["redis-cli", "ping"]
    ]
    return found + service_problems(manifests, CACHE, url.port or 6379, pod_labels(deployment))


def index(files: dict[str, list[dict]]) -> Manifests:
    return {(doc.get("kind"), (doc.get("metadata") or {}).get("name")): doc for docs in files.values() for doc in docs}


def problems(kustomization: dict, files: dict[str, list[dict]], *, schemas: bool = True) -> list[str]:
    secrets, found = generated_secrets(kustomization)
    manifests = index({**files, "(secretGenerator)": secrets})
    config = (manifests.get(("ConfigMap", CONFIG_MAP)) or {}).get("data") or {}
    found += kustomization_problems(kustomization, files)
    if schemas:
        found += schema_problems(files)
    found += config_problems(manifests)
    found += deployment_problems(manifests, config.get("ALLOWED_HOSTS", "").split(","))
    found += job_problems(manifests)
    found += demo_stock_problems(manifests)
    found += secret_problems(manifests)
    found += reference_problems(manifests)
    found += postgres_problems(manifests)
    found += cache_problems(manifests)
    return found


OBSERVABILITY_DIR = REPO_DIR / "deploy" / "observability"
SCRAPE = "prometheus.io/scrape"


def scrape_problems(manifests: Manifests) -> list[str]:
    """Every service's pods carry the annotations Prometheus finds them by, with their port."""
    found = []
    for name, service in SERVICES.items():
        what = f"Deployment/{compose_host(name)}"
        template = ((manifests.get(("Deployment", compose_host(name))) or {}).get("spec") or {}).get("template") or {}
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        wanted = {SCRAPE: "true", "prometheus.io/port": str(service.default_port), "prometheus.io/path": "/metrics"}
        if {key: annotations.get(key) for key in wanted} != wanted:
            found.append(f"{what}: its pods' annotations should be {wanted}")
    return found


def observability_problems(base: Manifests, *, schemas: bool = True) -> list[str]:
    """deploy/observability, the optional overlay: its manifests valid and listed, its
    generators' files there, tracing pointed at its Jaeger through a key the ConfigMap has,
    and the dashboard's data sources provisioned."""
    folder = OBSERVABILITY_DIR
    kustomization = yaml.load((folder / "kustomization.yaml").read_text(), Loader=UniqueKeyLoader)  # noqa: S506
    files = {
        path.name: [doc for doc in yaml.load_all(path.read_text(), Loader=UniqueKeyLoader) if doc]
        for path in sorted(folder.glob("*.yaml"))
        if path.name != "kustomization.yaml"
    }
    found = [f"deploy/observability/{problem}" for problem in schema_problems(files)] if schemas else []
    listed = [path for path in kustomization.get("resources") or [] if path != "../k8s"]
    if sorted(listed) != sorted(files) or "../k8s" not in (kustomization.get("resources") or []):
        found.append(
            f"deploy/observability/kustomization.yaml lists {listed} and ../k8s; the folder has {sorted(files)}"
        )
    for generator in kustomization.get("configMapGenerator") or []:
        for entry in generator.get("files") or []:
            if not (folder / entry.split("=", 1)[-1]).exists():
                found.append(f"deploy/observability/kustomization.yaml: {entry} does not exist")
    config = (base.get(("ConfigMap", CONFIG_MAP)) or {}).get("data") or {}
    if "OTEL_EXPORTER_OTLP_ENDPOINT" not in config:
        found.append(f"ConfigMap/{CONFIG_MAP} has no OTEL_EXPORTER_OTLP_ENDPOINT for the overlay to set")
    patched = [
        patch["patch"]
        for patch in kustomization.get("patches") or []
        if "OTEL_EXPORTER_OTLP_ENDPOINT" in patch["patch"]
    ]
    jaeger = index(files).get(("Service", "jaeger")) or {}
    ports = {port.get("port") for port in (jaeger.get("spec") or {}).get("ports") or []}
    if not patched or "http://jaeger:4318" not in patched[0] or 4318 not in ports:
        found.append(
            "deploy/observability: the ConfigMap's OTEL_EXPORTER_OTLP_ENDPOINT must be set to http://jaeger:4318"
        )
    sources = yaml.safe_load((folder / "grafana" / "datasources.yaml").read_text())
    uids = {source["uid"] for source in sources["datasources"]}
    dashboard = json.loads((folder / "grafana" / "bookstore.json").read_text())
    for panel in dashboard["panels"]:
        used = {(target.get("datasource") or {}).get("uid") for target in panel.get("targets") or []}
        if panel["type"] != "row" and not used <= uids:
            found.append(f"deploy/observability/grafana/bookstore.json: panel {panel['title']!r} uses {used - uids}")
    return found


def main() -> int:
    kustomization, files = load(K8S_DIR)
    found = problems(kustomization, files)
    found += scrape_problems(index(files))
    found += observability_problems(index(files))
    for problem in found:
        print(f"deploy/k8s: {problem}", file=sys.stderr)
    if not found:
        versions = " and ".join(KUBERNETES_VERSIONS)
        print(f"deploy/k8s is valid for Kubernetes {versions} and matches make run and common/registry.py")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
