"""One compose project for the whole run: built, started on a fresh volume and waited for
once; its logs kept in var/test-reports/ and the project removed (`down -v`) at the end.
How long each step took is printed after the results."""

import time

import pytest

from tests.compose.project import ComposeProject, engine_problem
from tools.stack import REPO_DIR

# Containers that do their work once and exit: the image build and the demo stock.
ONE_SHOT = {"image", "demo-stock"}
LOGS_DIR = REPO_DIR / "var" / "test-reports"
_timings: dict[str, float] = {}


class Timer:
    def __init__(self, step: str):
        self.step = step

    def __enter__(self):
        self.started = time.monotonic()

    def __exit__(self, *exc):
        _timings[self.step] = time.monotonic() - self.started


@pytest.fixture(scope="session")
def project(tmp_path_factory):
    if problem := engine_problem():
        pytest.fail(f"make test-compose needs a Docker engine: {problem}")
    project = ComposeProject(tmp_path_factory.mktemp("compose"))
    project.make_env_file()
    _timings["compose"] = project.version()
    try:
        with Timer("build"):
            project.build()
        with Timer("up until healthy"):
            project.up()
            project.wait_until_up(ONE_SHOT, timeout=300)
        yield project
    finally:
        LOGS_DIR.mkdir(parents=True, exist_ok=True)
        (LOGS_DIR / f"{project.name}.log").write_text(project.logs())
        with Timer("down -v"):
            project.down()


@pytest.fixture
def timed():
    """timed("step") times a step of a test for the summary."""
    return Timer


def pytest_terminal_summary(terminalreporter):
    if _timings:
        steps = ", ".join(f"{k} {v:.0f} s" if isinstance(v, float) else f"{k}: {v}" for k, v in _timings.items())
        terminalreporter.write_line(f"compose smoke: {steps}")
