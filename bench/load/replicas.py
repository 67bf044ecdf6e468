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
from pathlib import Path

from bench.load.stack import BenchStack
from common.registry import SERVICES
from tests.e2e.harness import free_ports
from tools.stack import REPO_DIR, serve_command, wait_ready

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_max_body_size 10m;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
{servers}
}}
"""
SERVER = """
    upstream {name} {{ {replicas} keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://{name};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_read_timeout 60s;
        }}
    }}
"""


def replica_key(name: str, number: int) -> str:
    """The process's name in the stack: the first replica keeps the service's own."""
    return name if number == 1 else f"{name}-replica{number}"


def nginx_conf(workdir: Path, fronts: dict[str, int], replica_ports: dict[str, list[int]]) -> str:
    """nginx listening at each service's address, balancing over its replicas' ports."""
    servers = "".join(
        SERVER.format(
            name=name,
            port=fronts[name],
            replicas=" ".join(f"server 127.0.0.1:{port};" for port in replica_ports[name]),
        )
        for name in replica_ports
    )
    return NGINX_CONF.format(tmp=workdir, servers=servers)


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
        conf = self.workdir / "nginx.conf"
        conf.write_text(nginx_conf(self.workdir, self.ports, self.replica_ports))
        with (self.workdir / "nginx.log").open("ab") as log:
            self.balancer = subprocess.Popen(
                ["nginx", "-c", str(conf), "-p", str(self.workdir)], stdout=log, stderr=subprocess.STDOUT
            )

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            if self.balancer is not None:
                self.balancer.send_signal(signal.SIGQUIT)  # nginx's graceful stop
                self.balancer.wait(timeout=10)
