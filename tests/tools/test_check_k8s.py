"""tools.check_k8s catches manifests that Kubernetes would refuse or that drifted from the code."""

import copy

import pytest
import yaml

from tools import check_k8s
from tools.check_k8s import K8S_DIR, index, load, problems


@pytest.fixture(scope="module")
def committed():
    return load(K8S_DIR)


@pytest.fixture
def kustomization(committed) -> dict:
    return copy.deepcopy(committed[0])


@pytest.fixture
def files(committed) -> dict:
    return copy.deepcopy(committed[1])


def manifest(files: dict, kind: str, name: str) -> dict:
    return index(files)[(kind, name)]


def container(files: dict, kind: str, name: str) -> dict:
    return manifest(files, kind, name)["spec"]["template"]["spec"]["containers"][0]


def env(item: dict, name: str) -> dict:
    return next(e for e in item["env"] if e["name"] == name)


def test_the_committed_manifests_pass(kustomization, files):
    assert problems(kustomization, files) == []


def test_a_field_kubernetes_does_not_know_and_a_wrong_type_fail_the_schema(kustomization, files):
    book = container(files, "Deployment", "book-service")
    book["readinesProbe"] = book.pop("readinessProbe")
    manifest(files, "Service", "cart-service")["spec"]["ports"][0]["port"] = "5000"
    found = problems(kustomization, files)
    assert any(
        p.startswith("services/book.yaml: Deployment/book-service: not valid for Kubernetes 1.30.0")
        and "'readinesProbe' was unexpected" in p
        for p in found
    ), found
    assert any(
        p.startswith("services/cart.yaml: Service/cart-service: not valid for Kubernetes 1.37.0")
        and "spec.ports.0.port" in p
        for p in found
    ), found


def test_a_file_left_out_of_the_kustomization_or_listed_but_missing_is_reported(kustomization, files):
    kustomization["resources"].remove("ingress.yaml")
    kustomization["resources"].append("services/shipping.yaml")
    found = problems(kustomization, files, schemas=False)
    assert "ingress.yaml is not listed in kustomization.yaml, so it is never applied" in found
    assert "kustomization.yaml lists services/shipping.yaml, which does not exist" in found


def test_a_service_on_the_wrong_port_with_the_wrong_command_or_database_is_reported(kustomization, files):
    cart = container(files, "Deployment", "cart-service")
    cart["ports"][0]["containerPort"] = 5001
    order = container(files, "Deployment", "order-service")
    order["command"] = ["python", "-m", "tools.serve", "order"]  # would migrate in every replica
    env(container(files, "Deployment", "inventory-service"), "DATABASE_URL")["valueFrom"]["secretKeyRef"]["key"] = (
        "book-database-url"
    )
    manifest(files, "Service", "payment-service")["spec"]["selector"] = {"app.kubernetes.io/name": "payment"}
    found = problems(kustomization, files, schemas=False)
    assert "Deployment/cart-service: does not listen on port 5000" in found
    assert any(
        p.startswith("Deployment/order-service: command is ['python', '-m', 'tools.serve', 'order']") for p in found
    )
    assert (
        "Deployment/inventory-service: DATABASE_URL does not come from bookstore-secrets/inventory-database-url"
        in found
    )
    assert "Service/payment-service: its selector does not pick the Deployment's pods" in found


def test_probes_on_the_wrong_path_or_with_a_refused_host_are_reported(kustomization, files):
    gateway = container(files, "Deployment", "gateway")
    gateway["readinessProbe"]["httpGet"]["path"] = "/health/"
    del gateway["livenessProbe"]["httpGet"]["httpHeaders"]
    found = problems(kustomization, files, schemas=False)
    assert "Deployment/gateway: no readinessProbe on /ready/" in found
    assert "Deployment/gateway: the livenessProbe is sent with Host None, which ALLOWED_HOSTS refuses" in found


def test_a_service_without_a_pause_before_sigterm_or_the_time_to_stop_is_reported(kustomization, files):
    del container(files, "Deployment", "cart-service")["lifecycle"]
    manifest(files, "Deployment", "book-service")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 25
    del manifest(files, "Deployment", "gateway")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    found = problems(kustomization, files, schemas=False)
    assert "Deployment/cart-service: no preStop pause (exec sleep N) before SIGTERM" in found
    assert (
        "Deployment/book-service: terminationGracePeriodSeconds 25 leaves no time over the preStop pause and "
        "SHUTDOWN_GRACE_SECONDS (25 s)"
    ) in found
    assert not any(p.startswith("Deployment/gateway: terminationGracePeriodSeconds") for p in found)  # 30 by default


def test_replicas_loading_demo_data_or_not_waiting_for_migrations_are_reported(kustomization, files):
    book = manifest(files, "Deployment", "book-service")
    env(book["spec"]["template"]["spec"]["containers"][0], "LOAD_DEMO_DATA")["value"] = "1"
    del book["spec"]["template"]["spec"]["initContainers"]
    found = problems(kustomization, files, schemas=False)
    assert 'Deployment/book-service: LOAD_DEMO_DATA is not "0" (every replica would load demo data on start)' in found
    assert any(p.startswith("Deployment/book-service: does not wait for its migrations") for p in found)


def test_migrate_and_demo_jobs_must_exist_and_load_demo_data_where_there_is_some(kustomization, files):
    jobs = files["migrate-jobs.yaml"]
    files["migrate-jobs.yaml"] = [job for job in jobs if job["metadata"]["name"] != "migrate-cart"]
    book_job = next(job for job in jobs if job["metadata"]["name"] == "migrate-book")
    book_job["spec"]["template"]["spec"]["containers"][0]["command"][-1] = "python manage.py migrate --noinput"
    files["demo-stock-job.yaml"][0]["spec"]["template"]["spec"]["containers"][0]["command"] = ["true"]
    found = problems(kustomization, files, schemas=False)
    assert (
        "Job/demo-stock: does not run 'python -m tools.demo_stock http://gateway:1000' when LOAD_DEMO_DATA is 1"
        in found
    )
    assert "Job/migrate-cart: missing" in found
    assert "Job/migrate-book: does not load the service's demo data (LOAD_DEMO_DATA=1)" in found


def test_dispatchers_must_match_make_run(kustomization, files):
    dispatchers = files["dispatchers.yaml"]
    order = next(d for d in dispatchers if d["metadata"]["name"] == "order-dispatcher")
    order["spec"]["template"]["spec"]["containers"][0]["workingDir"] = "/app"
    stray = copy.deepcopy(order)
    stray["metadata"]["name"] = "cart-dispatcher"
    dispatchers.append(stray)
    found = problems(kustomization, files, schemas=False)
    assert "Deployment/order-dispatcher: workingDir is '/app', expected '/app/order_service'" in found
    assert any(p.startswith("Deployment/cart-dispatcher: runs ") and "make run does not start" in p for p in found)


def test_a_missing_secret_key_a_wrong_url_and_a_changed_init_script_are_reported(kustomization, files, tmp_path):
    example = tmp_path / "secrets.env.example"
    example.write_text(
        (K8S_DIR / "secrets.env.example")
        .read_text()
        .replace("jwt-signing-key=\n", "")
        .replace("bookstore_cart:{bookstore-db-password}@", "postgres:postgres@")
    )
    kustomization["folder"] = tmp_path
    manifest(files, "ConfigMap", "bookstore-config")["data"]["BOOK_SERVICE_URL"] = "http://books:2100"
    init = manifest(files, "ConfigMap", "postgres-init")["data"]
    init["10-databases.sh"] = init["10-databases.sh"].replace(" inventory", "")
    found = problems(kustomization, files, schemas=False)
    assert "Deployment/gateway: reads Secret/bookstore-secrets key 'jwt-signing-key', which does not exist" in found
    assert "Secret/bookstore-secrets: cart-database-url is not bookstore_cart's login on its own database" in found
    assert any(p.startswith("ConfigMap/bookstore-config: BOOK_SERVICE_URL is 'http://books:2100'") for p in found)
    assert "ConfigMap/postgres-init: differs from docker/postgres-init.sh" in found


def test_a_cache_unnamed_unprobed_or_missing_is_reported_and_not_taken_for_a_process(kustomization, files):
    found = problems(kustomization, files, schemas=False)
    assert not any(p.startswith("Deployment/redis") for p in found)  # not a process of make run's
    del container(files, "Deployment", "redis")["livenessProbe"]
    manifest(files, "Service", "redis")["spec"]["ports"][0]["port"] = 6380
    found = problems(kustomization, files, schemas=False)
    assert "Deployment/redis: no livenessProbe running redis-cli ping" in found
    assert "Service/redis: does not serve port 6379" in found

    config = manifest(files, "ConfigMap", "bookstore-config")["data"]
    config["REDIS_URL"] = "redis://redis.example.com:6379/0"  # a managed one
    assert not any("redis" in p.lower() for p in problems(kustomization, files, schemas=False))
    config["REDIS_URL"] = ""
    assert (
        "ConfigMap/bookstore-config: REDIS_URL '' names no Redis "
        "(each replica would cache for itself and miss the others' writes)"
    ) in problems(kustomization, files, schemas=False)
    config["REDIS_URL"] = "redis://redis:6379/0"
    files["redis.yaml"] = [m for m in files["redis.yaml"] if m["kind"] != "Deployment"]
    found = problems(kustomization, files, schemas=False)
    assert "ConfigMap/bookstore-config: REDIS_URL names redis, but there is no Deployment/redis" in found


def test_generated_secrets_need_a_committed_example_and_an_ignored_env_file(
    kustomization, files, tmp_path, monkeypatch
):
    kustomization["folder"] = tmp_path  # no secrets.env.example there
    found = problems(kustomization, files, schemas=False)
    assert "kustomization.yaml: secrets.env has no secrets.env.example to make it from" in found

    (tmp_path / "secrets.env.example").write_text((K8S_DIR / "secrets.env.example").read_text())
    monkeypatch.setattr(check_k8s, "git_ignored", lambda path: False)
    found = problems(kustomization, files, schemas=False)
    assert "kustomization.yaml: secrets.env holds secrets but git does not ignore it" in found


def test_git_is_asked_whether_it_ignores_a_file():
    assert check_k8s.git_ignored(K8S_DIR / "secrets.env")
    assert not check_k8s.git_ignored(K8S_DIR / "config.yaml")


def test_main_prints_the_problems_and_fails(monkeypatch, tmp_path, capsys):
    for path in [*K8S_DIR.rglob("*.yaml"), K8S_DIR / "secrets.env.example"]:
        target = tmp_path / path.relative_to(K8S_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text())
    (tmp_path / "services" / "cart.yaml").write_text(
        (K8S_DIR / "services" / "cart.yaml").read_text().replace("containerPort: 5000", "containerPort: 5050")
    )
    monkeypatch.setattr(check_k8s, "K8S_DIR", tmp_path)
    assert check_k8s.main() == 1
    assert "deploy/k8s: Deployment/cart-service: does not listen on port 5000" in capsys.readouterr().err


def test_a_key_written_twice_is_refused(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: [a.yaml]\n")
    (tmp_path / "a.yaml").write_text("kind: ConfigMap\nmetadata: {name: a}\ndata: {X: '1'}\ndata: {Y: '2'}\n")
    with pytest.raises(yaml.YAMLError, match="'data' appears twice"):
        load(tmp_path)
