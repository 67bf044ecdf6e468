"""mypy over common/ and every service (part of `make lint`).

    python -m tools.typecheck                  all of them
    python -m tools.typecheck common gateway   only these (common or a service folder)

The django-stubs plugin loads one Django settings module per run, and every service is
a Django project of its own, so mypy runs once per project, in its folder, with its
settings: common/ with its suite's tests.settings, each service with <folder>.settings.
The configuration is [tool.mypy] in pyproject.toml (strict for the common library).
Each run keeps its own cache in .mypy_cache/<name>; the runs go in parallel.
"""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from common.registry import SERVICES
from tools.pick import pick
from tools.stack import REPO_DIR

CACHE = REPO_DIR / ".mypy_cache"


@dataclass(frozen=True)
class Target:
    name: str
    cwd: Path
    settings: str
    paths: tuple[str, ...]


def all_targets() -> dict[str, Target]:
    targets = {"common": Target("common", REPO_DIR / "common", "tests.settings", ("common", "tests"))}
    for service in SERVICES.values():
        folder = service.folder
        targets[folder] = Target(folder, REPO_DIR / folder, f"{folder}.settings", (".",))
    return targets


def check(target: Target) -> tuple[int, str, float]:
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(REPO_DIR / "pyproject.toml"),
        "--cache-dir",
        str(CACHE / target.name),
        *target.paths,
    ]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": target.settings}
    started = time.monotonic()
    done = subprocess.run(command, cwd=target.cwd, env=env, capture_output=True, text=True)
    return done.returncode, (done.stdout + done.stderr).rstrip(), time.monotonic() - started


def main(argv: list[str]) -> int:
    chosen = pick(argv, all_targets(), what="target")
    if chosen is None:
        return 2
    started = time.monotonic()
    failed = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for target, (code, output, seconds) in zip(chosen, pool.map(check, chosen), strict=True):
            print(f"mypy {target.name} ({seconds:.1f}s): {output.splitlines()[-1] if output else ''}", flush=True)
            if code != 0:
                failed.append(target.name)
                print(output, flush=True)
    print(f"mypy: {len(chosen) - len(failed)} of {len(chosen)} passed in {time.monotonic() - started:.0f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
