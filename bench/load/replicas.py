"""The bench's stack with several replicas of every service, as a Kubernetes Deployment
runs them: each replica its own waitress process on a port of its own, one nginx in
front of each service's replicas (round robin over kept-alive connections), standing in
for the Service that balances them. Everything else calls the service at its usual
address, nginx's. Needs nginx (apt-get install nginx-light).

The database is shared by a service's replicas, as in Kubernetes: what this shows is
how many connections the replicas hold together (each process's pool, DB_POOL_MAX_SIZE).
"""

import shutil
import signal
import subprocess
from dataclasses import dataclass, field

from bench import nginx
from bench.load.stack import BenchStack
from common.registry import SERVICES
from tests.e2e.harness import free_ports
from tools.stack import REPO_DIR, serve_command, wait_ready


def replica_key(name: str, number: int) -> str:
    """The process's name in the stack: the first replica keeps the service's own."""
    return name if number == 1 else f"{name}-replica{number}"


@dataclass
class ReplicatedStack(BenchStack):
    replicas: int = 2
    replica_ports: dict[str, list[int]] = field(default_factory=dict)
    balancer: subprocess.Popen | None = None

    def start_service(self, name: str, *, migrate: bool) -> None:
        if self.balancer is None:
            self._start_balancer()
        for number, port in enumerate(self.replica_ports[name], start=1):
            key = replica_key(name, number)
            # Only the first replica migrates, and the others start once it has.
            command = serve_command(name) + ([] if migrate and number == 1 else ["--no-migrate"])
            env = self.env_for(name) | {SERVICES[name].port_var: str(port)}
            with self.log_path(key).open("ab") as log:
                self.processes[key] = subprocess.Popen(
                    command, cwd=REPO_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            if number == 1 and migrate:
                missing = wait_ready(
                    {key: f"http://127.0.0.1:{port}"},
                    timeout=90,
                    still_running=lambda started: self.processes[started].poll() is None,
                )
                if missing:
                    raise RuntimeError(f"{key} not ready:\n{self.log_tail(key)}")

    def _start_balancer(self) -> None:
        if shutil.which("nginx") is None:
            raise RuntimeError("--replicas needs nginx: apt-get install nginx-light")
        ports = free_ports(len(SERVICES) * self.replicas)
        self.replica_ports = {
            name: ports[index * self.replicas : (index + 1) * self.replicas] for index, name in enumerate(SERVICES)
        }
        self.balancer = nginx.start(self.workdir, self.balanced())

    def balanced(self) -> dict[str, tuple[int, list[int]]]:
        """Each service's address, nginx's, and its replicas' ports behind it."""
        return {name: (self.ports[name], ports) for name, ports in self.replica_ports.items()}

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            if self.balancer is not None:
                self.balancer.send_signal(signal.SIGQUIT)  # nginx's graceful stop
                self.balancer.wait(timeout=10)
