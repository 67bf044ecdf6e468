"""tests/compose/project.py, the driver of `make test-compose`, without a Docker engine:
which compose it runs, what it passes on, and how it reads `docker inspect`."""

import subprocess
from datetime import UTC, datetime

import pytest

from tests.compose import project as compose_project
from tests.compose.project import ComposeProject, Container, _container, _timestamp, _up, compose_command


def inspected(service: str, status: str, exit_code: int = 0, health: str | None = None, finished: str = "") -> dict:
    state = {"Status": status, "ExitCode": exit_code, "FinishedAt": finished or "0001-01-01T00:00:00Z"}
    if health:
        state["Health"] = {"Status": health}
    return {"Name": f"/p-{service}-1", "Config": {"Labels": {"com.docker.compose.service": service}}, "State": state}


def test_compose_is_chosen_by_the_variable_or_else_v2_where_the_cli_has_it(monkeypatch):
    monkeypatch.setenv("COMPOSE", "docker-compose")
    assert compose_command() == ["docker-compose"]
    monkeypatch.delenv("COMPOSE")
    answers = iter([1])
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, next(answers)))
    assert compose_command() == ["docker-compose"]
    answers = iter([0])
    assert compose_command() == ["docker", "compose"]


def test_only_the_docker_variables_and_the_published_port_reach_compose(monkeypatch, tmp_path):
    monkeypatch.setenv("LOAD_DEMO_DATA", "0")  # would change the file's settings
    monkeypatch.setenv("DOCKER_HOST", "unix:///run/docker.sock")
    calls = []
    monkeypatch.setattr(
        compose_project.subprocess,
        "run",
        lambda command, **kw: calls.append((command, kw)) or subprocess.CompletedProcess(command, 0, "", ""),
    )
    project = ComposeProject(tmp_path, name="bookstore-smoke-x", command=["docker", "compose"], port=12345)
    project.up()
    [(command, kw)] = calls
    assert command == [
        "docker",
        "compose",
        "--project-name",
        "bookstore-smoke-x",
        "--env-file",
        str(tmp_path / ".env"),
        "up",
        "--detach",
    ]
    assert kw["env"]["GATEWAY_PUBLISHED_PORT"] == "12345"
    assert kw["env"]["DOCKER_HOST"] == "unix:///run/docker.sock"
    assert "LOAD_DEMO_DATA" not in kw["env"]


def test_a_failing_compose_command_raises_with_what_it_said(monkeypatch, tmp_path):
    monkeypatch.setattr(
        compose_project.subprocess,
        "run",
        lambda command, **kw: subprocess.CompletedProcess(command, 1, "", "no such image"),
    )
    with pytest.raises(RuntimeError, match="exited 1: no such image"):
        ComposeProject(tmp_path, command=["docker-compose"], port=1).build()


def test_docker_times_are_read_to_the_microsecond_and_a_running_ones_is_none():
    assert _timestamp("2026-12-04T03:00:32.601234567Z") == datetime(2026, 12, 4, 3, 0, 32, 601234, tzinfo=UTC)
    assert _timestamp("2026-12-04T03:00:32Z") == datetime(2026, 12, 4, 3, 0, 32, tzinfo=UTC)
    assert _timestamp("0001-01-01T00:00:00Z") is None


def test_a_container_is_up_when_healthy_or_running_and_a_one_shot_one_when_it_exited_0():
    one_shot = {"image"}
    assert _up(_container(inspected("book-service", "running", health="healthy")), one_shot)
    assert not _up(_container(inspected("book-service", "running", health="starting")), one_shot)
    assert _up(_container(inspected("order-dispatcher", "running")), one_shot)
    assert _up(_container(inspected("image", "exited", 0, finished="2026-12-04T03:00:32Z")), one_shot)
    assert not _up(_container(inspected("image", "exited", 1, finished="2026-12-04T03:00:32Z")), one_shot)
    assert _container(inspected("db", "exited", 0, finished="2026-12-04T03:00:32.5Z")) == Container(
        name="p-db-1",
        service="db",
        status="exited",
        health=None,
        exit_code=0,
        finished_at=datetime(2026, 12, 4, 3, 0, 32, 500000, tzinfo=UTC),
    )
