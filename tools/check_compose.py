"""`make check-compose`: docker-compose.yml says what the code says.

There is no Docker engine where the tests run, so this checks the file itself:
every service of common/services.py runs `python -m tools.serve <name>` on its
default port with its own database, and every peer URL points at the right host
and port. Prints what is wrong and exits 1, or exits 0.
"""

import sys

import yaml

from common.services import SERVICES
from tools.stack import REPO_DIR


def compose_host(name: str) -> str:
    return "gateway" if name == "gateway" else f"{name}-service"


def problems(compose: dict) -> list[str]:
    found = []
    services = compose.get("services", {})
    if "db" not in services:
        found.append("no 'db' (PostgreSQL) service")
    for name, service in SERVICES.items():
        host = compose_host(name)
        entry = services.get(host)
        if entry is None:
            found.append(f"{host}: missing")
            continue
        env = {k: str(v) for k, v in (entry.get("environment") or {}).items()}
        expect = {
            "command": ["python", "-m", "tools.serve", name],
            service.port_var: str(service.default_port),
            "DATABASE_URL": f"postgres://postgres:postgres@db:5432/{service.database_name}",
            "SERVICE": name,
            "HOST": "0.0.0.0",  # noqa: S104 (inside a container)
        }
        for peer_name, peer in SERVICES.items():
            expect[peer.url_var] = f"http://{compose_host(peer_name)}:{peer.default_port}"
        actual = {key: (entry.get("command") if key == "command" else env.get(key)) for key in expect}
        found += [
            f"{host}: {key} is {actual[key]!r}, expected {value!r}"
            for key, value in expect.items()
            if actual[key] != value
        ]
        if host not in env.get("ALLOWED_HOSTS", "").split(","):
            found.append(f"{host}: ALLOWED_HOSTS does not include {host}")
    gateway_ports = services.get("gateway", {}).get("ports", [])
    if f"{SERVICES['gateway'].default_port}:{SERVICES['gateway'].default_port}" not in gateway_ports:
        found.append("gateway: port 1000 is not published")
    return found


def main() -> int:
    compose = yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())
    found = problems(compose)
    for problem in found:
        print(f"docker-compose.yml: {problem}", file=sys.stderr)
    if not found:
        print("docker-compose.yml matches common/services.py")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
