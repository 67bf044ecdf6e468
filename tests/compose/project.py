"""docker-compose.yml run for real by `make test-compose`: a compose project of its own
(a unique name, so a fresh volume and network), its keys made by docker/new_env.py, the
gateway published on a free port, read back through `docker inspect`.

Compose v2 (`docker compose`) is used where the Docker CLI has it, else v1
(`docker-compose`); COMPOSE="docker-compose" or COMPOSE="docker compose" chooses.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tests.e2e.harness import free_ports
from tools.stack import REPO_DIR

# What compose needs from the caller's environment; nothing else of it may change the file's
# settings (an exported LOAD_DEMO_DATA=0, say), which come from the project's own env file.
_PASSED_ON = ("PATH", "HOME", "TMPDIR")
_PASSED_ON_PREFIXES = ("DOCKER_",)


def compose_command() -> list[str]:
    if chosen := os.environ.get("COMPOSE"):
        return shlex.split(chosen)
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"]


def engine_problem() -> str | None:
    """Why no compose project can run here, or None."""
    if not shutil.which("docker"):
        return "no docker CLI"
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        return "the Docker engine does not answer (sudo bash ../shared/docker-standins/build.sh starts one)"
    return None


@dataclass
class Container:
    name: str
    service: str
    status: str  # running, exited, ...
    health: str | None  # healthy, starting, unhealthy; None without a health check
    exit_code: int
    finished_at: datetime | None


@dataclass
class ComposeProject:
    workdir: Path
    name: str = field(default_factory=lambda: f"bookstore-smoke-{uuid.uuid4().hex[:8]}")
    command: list[str] = field(default_factory=compose_command)
    port: int = field(default_factory=lambda: free_ports(1)[0])

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def version(self) -> str:
        return self._run("version", capture=True).strip().splitlines()[0]

    def make_env_file(self) -> None:
        """.env as a new user's `python3 docker/new_env.py` writes it, in the work folder."""
        (self.workdir / "deploy" / "k8s").mkdir(parents=True)
        shutil.copy(REPO_DIR / ".env.example", self.workdir / ".env.example")
        shutil.copy(REPO_DIR / "deploy/k8s/secrets.env.example", self.workdir / "deploy/k8s/secrets.env.example")
        subprocess.run(
            [sys.executable, str(REPO_DIR / "docker" / "new_env.py"), "--repo", str(self.workdir)],
            check=True,
            capture_output=True,
        )

    def _run(self, *args: str, capture: bool = False, check: bool = True, timeout: float = 900) -> str:
        env = {k: v for k, v in os.environ.items() if k in _PASSED_ON or k.startswith(_PASSED_ON_PREFIXES)}
        env["GATEWAY_PUBLISHED_PORT"] = str(self.port)
        command = [*self.command, "--project-name", self.name]
        if args[0] != "version":
            command += ["--env-file", str(self.workdir / ".env")]
        done = subprocess.run(
            [*command, *args], cwd=REPO_DIR, env=env, capture_output=capture, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{shlex.join(command + list(args))} exited {done.returncode}: {done.stderr or ''}")
        return done.stdout or ""

    def build(self) -> None:
        self._run("build")

    def up(self) -> None:
        self._run("up", "--detach")

    def stop(self) -> None:
        self._run("stop")

    def down(self) -> None:
        self._run("down", "--volumes", "--remove-orphans", check=False)

    def logs(self, *services: str) -> str:
        """The logs of `services` (all of them when none is named)."""
        return self._run("logs", "--no-color", "--timestamps", *services, capture=True, check=False)

    def containers(self) -> list[Container]:
        ids = subprocess.run(
            ["docker", "ps", "--all", "--quiet", "--filter", f"label=com.docker.compose.project={self.name}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if not ids:
            return []
        found = json.loads(subprocess.run(["docker", "inspect", *ids], capture_output=True, check=True).stdout)
        return [_container(item) for item in found]

    def wait_until_up(self, one_shot: set[str], timeout: float) -> list[Container]:
        """Until every container with a health check is healthy, the others running, and the
        one-shot ones exited 0; raises with what was not, after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            containers = self.containers()
            waiting = [c for c in containers if not _up(c, one_shot)]
            if containers and not waiting:
                return containers
            failed = [c for c in containers if c.service in one_shot and c.status == "exited" and c.exit_code != 0]
            if failed or time.monotonic() > deadline:
                described = ", ".join(f"{c.service} {c.status} {c.health or ''} {c.exit_code}" for c in waiting)
                raise RuntimeError(f"not up after {timeout:.0f} s: {described}")
            time.sleep(2)


def _up(container: Container, one_shot: set[str]) -> bool:
    if container.service in one_shot:
        return container.status == "exited" and container.exit_code == 0
    return container.status == "running" and container.health in (None, "healthy")


def _timestamp(text: str) -> datetime | None:
    """Docker's RFC 3339 time, nanoseconds and all; None for the zero time of a running one."""
    if text.startswith("0001-"):
        return None
    seconds, _, fraction = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{seconds}.{(fraction or '0')[:6]:0<6}+00:00")


def _container(item: dict) -> Container:
    state = item["State"]
    return Container(
        name=item["Name"].lstrip("/"),
        service=item["Config"]["Labels"]["com.docker.compose.service"],
        status=state["Status"],
        health=(state.get("Health") or {}).get("Status"),
        exit_code=state["ExitCode"],
        finished_at=_timestamp(state["FinishedAt"]),
    )
