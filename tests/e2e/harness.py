"""Starts all eight services as real processes (tools/serve.py) on free ports, each with a
fresh database, and always stops them again.

Each service runs in its own process group (so it can be stopped, paused or
killed with anything it started) and dies with the test process if that is killed.
"""

import contextlib
import ctypes
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import jwt

from common.outbox import DISPATCHING_SERVICES
from common.outbox.conf import DEFAULT_SUBSCRIBERS
from common.registry import SERVICES
from tests.e2e.mailbox import Mailbox
from tests.e2e.subscriber import EventRecorder
from tools import pg
from tools.stack import REPO_DIR, serve_command, wait_ready

_PR_SET_PDEATHSIG = 1
JWT_SIGNING_KEY = "e2e-signing-key-not-a-secret-0123456789abcdef"


def _die_with_parent() -> None:  # runs in the child before exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class Stack:
    workdir: Path
    database_server: str | None = None
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    databases: list[str] = field(default_factory=list)
    # Hears every event type besides its usual subscribers, so tests see what was published.
    events: EventRecorder | None = None
    # The SMTP server notification_service sends its emails to.
    mailbox: Mailbox | None = None
    # Settings a test gives one service for a while (Stack.configured).
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    # This stack's keys in a Redis shared with others (REDIS_URL): CACHE_KEY_PREFIX.
    cache_key_prefix: str = field(default_factory=lambda: f"e2e-{uuid.uuid4().hex[:12]}")

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def gateway(self) -> str:
        return self.url("gateway")

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def env_for(self, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DATABASE_SERVER_URL"}}
        env.update(
            {SERVICES[n].port_var: str(port) for n, port in self.ports.items()},
            HOST="127.0.0.1",
            VAR_DIR=str(self.workdir),
            # Long enough for a password hash (sign-up, login) on a busy 2-core machine; a
            # service gives up on another before the gateway gives up on it.
            GATEWAY_READ_TIMEOUT="6",
            SERVICE_READ_TIMEOUT="4",
            PYTHONUNBUFFERED="1",
            JWT_SIGNING_KEY=JWT_SIGNING_KEY,
            SECRET_KEY="e2e-secret-key-not-a-secret-0123456789abcdef",
            # The suite signs up and writes far more from one address than a person would;
            # tests of the limits themselves run their own gateway with low ones.
            GATEWAY_RATE_SIGNUP="100000/min",
            GATEWAY_RATE_LOGIN="100000/min",
            GATEWAY_RATE_WRITES="100000/min",
            # Drills stop services on purpose; the breaker should not outlast a restart.
            GATEWAY_BREAKER_RESET_SECONDS="1",
            # Short outbox waits, so a redelivery after a subscriber was down shows within seconds.
            OUTBOX_POLL_SECONDS="0.2",
            OUTBOX_BACKOFF_SECONDS="0.2",
            OUTBOX_BACKOFF_MAX_SECONDS="1",
            # A delivery whose process was killed is taken over after this: longer than a
            # call lasts (SERVICE_READ_TIMEOUT), short enough for the crash drills.
            OUTBOX_LEASE_SECONDS="8",
            # The sweeps (common.sweeps) look often and judge a checkout or a payment
            # abandoned after a few seconds, so the crash drills recover within seconds.
            SWEEP_SECONDS="0.5",
            CHECKOUT_ABANDONED_SECONDS="8",
            PAYMENT_RECOVERY_SECONDS="8",
            CACHE_KEY_PREFIX=self.cache_key_prefix,
            # The account emails' links lead to this stack's gateway (its account pages).
            ACCOUNT_LINKS_BASE_URL=self.gateway,
        )
        if self.events is not None:
            subscribers = {kind: [*targets, self.events.url] for kind, targets in DEFAULT_SUBSCRIBERS.items()}
            env["EVENT_SUBSCRIBERS"] = json.dumps(subscribers)
        if name == "notification" and self.mailbox is not None:
            env.update(
                EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=str(self.mailbox.port),
                EMAIL_TIMEOUT="2",
                # Short email retries, so a mail server that was down shows within seconds.
                NOTIFICATION_SWEEP_SECONDS="0.3",
                NOTIFICATION_EMAIL_BACKOFF_SECONDS="0.3",
                NOTIFICATION_EMAIL_BACKOFF_MAX_SECONDS="1",
                NOTIFICATION_EMAIL_MAX_ATTEMPTS="30",
            )
        if self.database_server:
            env["DATABASE_URL"] = f"{self.database_server.rstrip('/')}/{self._database_name(name)}"
        env.update(self.overrides.get(name, {}))
        return env

    def query(self, name: str, statement: str) -> list[tuple]:
        """Rows read straight from a service's database, for what no API shows (the
        sandbox provider's books). Read only."""
        if self.database_server:
            import psycopg

            url = f"{self.database_server.rstrip('/')}/{self._database_name(name)}"
            with psycopg.connect(url, autocommit=True) as conn:
                return list(conn.execute(statement))
        with contextlib.closing(sqlite3.connect(self.workdir / f"{name}.sqlite3", timeout=20)) as conn:
            return list(conn.execute(statement))

    def _database_name(self, name: str) -> str:
        return f"e2e_{os.getpid()}_{name}"

    def start(self) -> None:
        *service_ports, events_port, smtp_port = free_ports(len(SERVICES) + 2)
        self.ports = dict(zip(SERVICES, service_ports, strict=True))
        self.events = EventRecorder(events_port)
        self.events.start()
        self.mailbox = Mailbox(smtp_port)
        self.mailbox.start()
        if self.database_server:
            self.databases = [self._database_name(name) for name in SERVICES]
            pg.create_databases(self.database_server, self.databases, exist_ok=False)
        for name in SERVICES:
            self.start_service(name, migrate=True)
        self.wait_ready(list(SERVICES))
        for name in DISPATCHING_SERVICES:  # after the services migrated their databases
            self.start_dispatcher(name)

    def start_service(self, name: str, *, migrate: bool) -> None:
        command = serve_command(name) + ([] if migrate else ["--no-migrate"])
        with self.log_path(name).open("ab") as log:
            self.processes[name] = subprocess.Popen(
                command,
                cwd=REPO_DIR,
                env=self.env_for(name),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def start_dispatcher(self, name: str) -> None:
        """The service's outbox dispatcher (manage.py dispatch_events), as `make run` starts it."""
        key = f"{name}-dispatcher"
        with self.log_path(key).open("ab") as log:
            self.processes[key] = subprocess.Popen(
                [sys.executable, "manage.py", "dispatch_events"],
                cwd=REPO_DIR / SERVICES[name].folder,
                env=self.env_for(name),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def wait_ready(self, names: list[str], timeout: float = 90) -> None:
        missing = wait_ready(
            {name: self.url(name) for name in names},
            timeout=timeout,
            still_running=lambda name: self.processes[name].poll() is None,
        )
        if missing:
            logs = "\n".join(f"--- {n} log ---\n{self.log_tail(n)}" for n in missing)
            raise RuntimeError(f"services not ready: {', '.join(missing)}\n{logs}")

    def token(
        self, *, user_id: int, is_staff: bool = False, lifetime_seconds: int = 600, email_verified: bool = True
    ) -> str:
        """An access token as customer_service would issue it (the claims of common.auth)."""
        now = int(time.time())
        claims = {"token_type": "access", "exp": now + lifetime_seconds, "iat": now, "jti": uuid.uuid4().hex}
        claims |= {"user_id": user_id, "username": f"user{user_id}", "is_staff": is_staff}
        claims |= {"email_verified": email_verified}
        return jwt.encode(claims, JWT_SIGNING_KEY, algorithm="HS256")

    @contextlib.contextmanager
    def extra_gateway(self, **env: str):
        """A second gateway in front of the same services, with its own settings
        (e.g. low rate limits) and its own database; yields its URL."""
        port = free_ports(1)[0]
        service_env = self.env_for("gateway") | {SERVICES["gateway"].port_var: str(port)} | env
        service_env["VAR_DIR"] = str(self.workdir / f"gateway-{port}")
        Path(service_env["VAR_DIR"]).mkdir()
        service_env.pop("DATABASE_URL", None)  # SQLite of its own even on PostgreSQL runs
        with (self.workdir / f"gateway-{port}.log").open("ab") as log:
            process = subprocess.Popen(
                serve_command("gateway"),
                cwd=REPO_DIR,
                env=service_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            if wait_ready({"gateway": url}, timeout=60, still_running=lambda _: process.poll() is None):
                raise RuntimeError(f"the extra gateway did not start; see gateway-{port}.log")
            yield url
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)

    def restart(self, name: str, *, kill: bool = False) -> None:
        """Stops the service (SIGTERM, or SIGKILL with `kill`) and starts it again with
        its current settings, waiting until it is ready: the others keep running."""
        if kill:
            self.signal(name, signal.SIGKILL)
            self.processes[name].wait(timeout=15)
        self.stop_service(name)
        self.start_service(name, migrate=False)
        self.wait_ready([name])

    @contextlib.contextmanager
    def configured(self, name: str, **env: str):
        """The service runs with these settings inside the block (restarted into them
        and back out of them)."""
        self.overrides[name] = env
        try:
            self.restart(name)
            yield
        finally:
            del self.overrides[name]
            self.restart(name)

    @contextlib.contextmanager
    def configured_all(self, **env: str):
        """Every service and dispatcher runs with these settings inside the block: all
        restarted into them at once, and back out of them at once (a few seconds each way,
        where one at a time would take half a minute)."""
        for name in SERVICES:
            self.overrides[name] = env
        try:
            self.restart_all()
            yield
        finally:
            for name in SERVICES:
                del self.overrides[name]
            self.restart_all()

    def restart_all(self) -> None:
        """Every process stopped (SIGTERM, in parallel) and started again with its current
        settings; returns when the services are ready and the dispatchers started."""
        with ThreadPoolExecutor(max_workers=len(self.processes)) as pool:
            list(pool.map(self.stop_service, list(self.processes)))
        for name in SERVICES:
            self.start_service(name, migrate=False)
        self.wait_ready(list(SERVICES))
        for name in DISPATCHING_SERVICES:
            self.start_dispatcher(name)

    def log_tail(self, name: str, lines: int = 40) -> str:
        return "\n".join(self.log_path(name).read_text(errors="replace").splitlines()[-lines:])

    def signal(self, name: str, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.processes[name].pid, sig)

    def stop_service(self, name: str) -> None:
        process = self.processes[name]
        self.signal(name, signal.SIGCONT)  # a paused service cannot act on SIGTERM
        self.signal(name, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.signal(name, signal.SIGKILL)
            process.wait(timeout=5)
        # A child left behind by a killed process (a migrate still running) holds the group: end it too.
        self.signal(name, signal.SIGKILL)

    @contextlib.contextmanager
    def stopped(self, name: str):
        """The service is stopped inside the block and running again after it."""
        self.stop_service(name)
        try:
            yield
        finally:
            self.start_service(name, migrate=False)
            self.wait_ready([name])

    @contextlib.contextmanager
    def paused(self, name: str):
        """The service accepts connections but answers nothing inside the block."""
        self.signal(name, signal.SIGSTOP)
        try:
            yield
        finally:
            self.signal(name, signal.SIGCONT)

    def stop(self) -> None:
        for name in list(self.processes):
            self.stop_service(name)
        if self.events is not None:
            self.events.stop()
        if self.mailbox is not None:
            self.mailbox.stop()
        if self.databases:
            pg.drop_databases(self.database_server, self.databases)
