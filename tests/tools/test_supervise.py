"""The supervisor make run puts around each process: it restarts a child that exits or is
killed, with a growing pause, and stops the child and itself on SIGTERM or SIGINT."""

import os
import signal

import pytest

from tests.tools.supervisor_process import child_pid, is_alive, running_supervisor, wait_for
from tools.pid_file import pid_file_path
from tools.supervise import STOP_TIMEOUT, Backoff, describe_exit

SLEEPS = "import time; time.sleep(600)"


@pytest.fixture(autouse=True)
def var_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    return tmp_path


def test_the_pause_doubles_while_the_child_keeps_exiting_soon_and_resets_after_a_long_run():
    backoff = Backoff(first=0.5, longest=5.0, stable_after=10.0)
    assert [backoff.delay_after(uptime=1.0) for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert backoff.delay_after(uptime=30.0) == 0.5
    assert backoff.delay_after(uptime=0.1) == 1.0


def test_an_exit_is_described_by_its_code_or_signal():
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-signal.SIGKILL) == "was killed by SIGKILL"


def test_a_child_that_exits_is_started_again_after_a_growing_pause(tmp_path):
    starts = tmp_path / "starts"
    exits_at_once = f"import sys, time; open({str(starts)!r}, 'a').write(f'{{time.monotonic()}}\\n'); sys.exit(3)"
    log = tmp_path / "supervise.log"
    with running_supervisor("cart", exits_at_once, log):
        wait_for(lambda: starts.exists() and len(starts.read_text().split()) >= 3, what="three starts")
    times = [float(t) for t in starts.read_text().split()]
    assert times[1] - times[0] >= 0.5
    assert times[2] - times[1] >= 1.0
    output = log.read_text()
    assert "supervise: cart exited with code 3 after " in output
    assert "restarting in 0.5 s" in output
    assert "restarting in 1.0 s" in output


def test_a_child_killed_with_sigkill_is_started_again(tmp_path):
    log = tmp_path / "supervise.log"
    with running_supervisor("book", SLEEPS, log):
        first = child_pid("book")
        os.kill(first, signal.SIGKILL)
        second = child_pid("book", other_than=first)
        assert is_alive(second)
    assert "supervise: book was killed by SIGKILL after " in log.read_text()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_stops_the_child_and_the_supervisor(tmp_path, stop_signal):
    log = tmp_path / "supervise.log"
    with running_supervisor("gateway", SLEEPS, log) as supervisor:
        child = child_pid("gateway")
        supervisor.send_signal(stop_signal)
        assert supervisor.wait(timeout=5) == 0
        wait_for(lambda: not is_alive(child), timeout=2, what="the child to stop")
    assert not pid_file_path("gateway").exists()
    assert "restarting" not in log.read_text()


def test_a_child_that_ignores_sigterm_is_killed(tmp_path):
    deaf = tmp_path / "deaf"
    ignores_sigterm = (
        f"import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); open({str(deaf)!r}, 'w'); time.sleep(600)"
    )
    log = tmp_path / "supervise.log"
    with running_supervisor("payment", ignores_sigterm, log) as supervisor:
        child = child_pid("payment")
        wait_for(deaf.exists, what="the child to ignore SIGTERM")
        supervisor.terminate()
        assert supervisor.wait(timeout=STOP_TIMEOUT + 3) == 0
        assert not is_alive(child)
    assert "did not stop within 4 s of SIGTERM; sending SIGKILL" in log.read_text()


def test_the_child_dies_with_a_killed_supervisor(tmp_path):
    with running_supervisor("inventory", SLEEPS, tmp_path / "supervise.log") as supervisor:
        child = child_pid("inventory")
        supervisor.kill()
        supervisor.wait(timeout=5)
        wait_for(lambda: not is_alive(child), timeout=5, what="the orphaned child to stop")
