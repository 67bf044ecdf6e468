"""tools/typecheck.py (make lint's mypy): one run per Django project, each with its settings."""

from pathlib import Path

from common.registry import SERVICES
from tools import typecheck


def test_common_and_every_service_are_checked_with_their_own_settings():
    targets = typecheck.all_targets()
    assert set(targets) == {"common"} | {service.folder for service in SERVICES.values()}
    for target in targets.values():
        settings_file = target.cwd / (target.settings.replace(".", "/") + ".py")
        assert settings_file.is_file(), target
        assert all((target.cwd / path).exists() for path in target.paths), target
    assert targets["common"].settings == "tests.settings"


def test_an_unknown_target_is_refused_before_anything_runs(capsys):
    assert typecheck.main(["nowhere"]) == 2
    assert "unknown target(s): nowhere" in capsys.readouterr().err


def test_a_type_error_fails_the_run_and_is_printed(tmp_path: Path, monkeypatch, capsys):
    (tmp_path / "tiny_settings.py").write_text('SECRET_KEY = "x"\nINSTALLED_APPS = []\n')
    (tmp_path / "wrong.py").write_text('count: int = "three"\n')
    target = typecheck.Target("tiny", tmp_path, "tiny_settings", ("wrong.py",))
    monkeypatch.setattr(typecheck, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(typecheck, "all_targets", lambda: {"tiny": target})

    assert typecheck.main(["tiny"]) == 1
    out = capsys.readouterr().out
    assert 'wrong.py:1: error: Incompatible types in assignment (expression has type "str"' in out
    assert "mypy: 0 of 1 passed" in out
