"""The pid file names the running child only while a supervisor holds it."""

import pytest

from tools.pid_file import AlreadySupervisedError, HeldPidFile, NotRunningError, running_pid


def test_a_held_file_gives_the_recorded_pid_or_none_between_starts(tmp_path):
    path = tmp_path / "run" / "order.pid"
    held = HeldPidFile(path)
    assert running_pid(path) is None
    held.record(4321)
    assert running_pid(path) == 4321
    held.record(None)
    assert running_pid(path) is None
    held.remove()
    assert not path.exists()


def test_no_file_means_not_running(tmp_path):
    with pytest.raises(NotRunningError, match="no "):
        running_pid(tmp_path / "order.pid")


def test_a_file_nobody_holds_is_left_over_and_means_not_running(tmp_path):
    path = tmp_path / "order.pid"
    path.write_text("4321\n")
    with pytest.raises(NotRunningError, match="left over"):
        running_pid(path)


def test_a_second_supervisor_of_the_same_name_is_refused(tmp_path):
    path = tmp_path / "order.pid"
    held = HeldPidFile(path)
    with pytest.raises(AlreadySupervisedError):
        HeldPidFile(path)
    held.remove()


def test_a_file_left_by_a_killed_stack_is_taken_over_without_its_pid(tmp_path):
    path = tmp_path / "order.pid"
    path.write_text("4321\n")
    held = HeldPidFile(path)
    assert running_pid(path) is None
    held.remove()
