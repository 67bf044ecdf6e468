"""`make restart`: signals the named process of a running make run, waits until its
supervisor has started it again (and a service answers /ready/), and says so; clear
errors for an unknown name or no running stack."""

import socket

import pytest

from tests.tools.supervisor_process import child_pid, is_alive, running_supervisor
from tools.pid_file import HeldPidFile, pid_file_path
from tools.restart import RestartError, main, restart

SLEEPS = "import time; time.sleep(600)"


@pytest.fixture(autouse=True)
def var_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(("kill", "how"), [(False, "SIGTERM"), (True, "SIGKILL")])
def test_it_signals_the_running_child_and_waits_for_the_new_one(tmp_path, kill, how):
    log = tmp_path / "supervise.log"
    with running_supervisor("order-dispatcher", SLEEPS, log):
        old = child_pid("order-dispatcher")
        report = restart("order-dispatcher", kill=kill, timeout=10)
        new = child_pid("order-dispatcher")
        assert new != old
        assert not is_alive(old)
        assert is_alive(new)
    assert report.startswith(f"order-dispatcher: {how} to pid {old}; started again as pid {new} ")
    assert f"supervise: order-dispatcher was killed by {how} after " in log.read_text()


def test_a_service_counts_as_back_once_it_answers_ready(tmp_path, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CART_SERVICE_PORT", str(port))
    (tmp_path / "site" / "ready").mkdir(parents=True)
    (tmp_path / "site" / "ready" / "index.html").write_text("ok")
    # Answers /ready/ with 200 a moment after it starts, as a service does once migrated.
    slow_server = (
        "import http.server, functools, time; time.sleep(0.5); "
        f"handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory={str(tmp_path / 'site')!r}); "
        f"http.server.ThreadingHTTPServer(('127.0.0.1', {port}), handler).serve_forever()"
    )
    with running_supervisor("cart", slow_server, tmp_path / "supervise.log"):
        old = child_pid("cart")
        report = restart("cart", timeout=20)
    assert report.startswith(f"cart: SIGTERM to pid {old}; pid "), report
    assert f" answers http://127.0.0.1:{port}/ready/ " in report
    took = float(report.rsplit("/ready/ ", 1)[1].removesuffix(" s later"))
    assert took >= 0.5, report


def test_an_unknown_name_is_refused_with_the_known_ones(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["ordr"])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "invalid choice: 'ordr'" in error
    assert "'order'" in error
    assert "'order-dispatcher'" in error


def test_no_running_stack_is_said_plainly(capsys, var_dir):
    assert main(["order"]) == 1
    assert capsys.readouterr().err == (
        f"restart: make run is not running (no {var_dir / 'run' / 'order.pid'}); start it with `make run`\n"
    )


def test_a_process_between_two_starts_is_not_signalled():
    held = HeldPidFile(pid_file_path("payment"))
    try:
        with pytest.raises(RestartError, match="between two starts"):
            restart("payment")
    finally:
        held.remove()
