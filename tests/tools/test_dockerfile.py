"""The Dockerfile and .dockerignore, checked without a Docker engine: the image runs as the
non-root user the Kubernetes manifests expect, exposes every port, and gets every file a
process needs at run time (and no secrets)."""

import re

import pytest

from common.registry import SERVICES
from tools.check_k8s import K8S_DIR, index, load
from tools.stack import REPO_DIR

DOCKERFILE = (REPO_DIR / "Dockerfile").read_text()


def final_stage(dockerfile: str) -> list[tuple[str, str]]:
    """(instruction, arguments) of the last FROM's stage."""
    lines = [line.strip() for line in dockerfile.splitlines() if line.strip() and not line.strip().startswith("#")]
    last_from = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines[last_from:]]


def pattern_regex(pattern: str) -> str:
    """Docker's pattern syntax (Go's filepath.Match, plus ** for any number of folders)."""
    regex, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        else:
            regex += {"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i]))
            i += 1
    return regex


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether Docker's build context leaves `path` out: it, or a folder above it, matches the
    last pattern that speaks of it (a ! pattern takes a path back in)."""
    parts = path.split("/")
    result = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.lstrip("!").strip("/")
        regex = pattern_regex(pattern)
        for depth in range(1, len(parts) + 1):
            if re.fullmatch(regex, "/".join(parts[:depth])):
                result = not negate
                break
    return result


@pytest.fixture(scope="module")
def dockerignore() -> list[str]:
    lines = (REPO_DIR / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_the_image_runs_as_the_non_root_user_the_pods_require():
    users = [args for instruction, args in final_stage(DOCKERFILE) if instruction == "USER"]
    assert users, "the final stage sets no USER: it would run as root"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit()
    assert int(uid) != 0
    assert gid.isdigit()
    assert int(gid) != 0
    ours = 0
    for (kind, name), manifest in index(load(K8S_DIR)[1]).items():
        pod = manifest["spec"]["template"]["spec"] if kind in {"Deployment", "Job"} else None
        # The pods of this image, not those of another one (the cache runs redis's own user).
        if pod and any(container["image"].startswith("bookstore:") for container in pod["containers"]):
            ours += 1
            assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": int(uid), "runAsGroup": int(gid)}, name
    assert ours >= len(SERVICES)


def test_every_port_is_exposed():
    exposed = {
        int(port) for instruction, args in final_stage(DOCKERFILE) if instruction == "EXPOSE" for port in args.split()
    }
    assert exposed == {service.default_port for service in SERVICES.values()}


def test_the_matcher_reads_patterns_as_docker_does():
    patterns = ["**/__pycache__", "var", ".env.*", "docs", "!docs/keep.md"]
    assert ignored("book_service/catalog/__pycache__/x.pyc", patterns)
    assert ignored("__pycache__", patterns)
    assert ignored("var/book.sqlite3", patterns)
    assert ignored(".env.production", patterns)
    assert not ignored(".envrc", patterns)
    assert not ignored("tools/var.py", patterns)
    assert ignored("docs/api.md", patterns)
    assert not ignored("docs/keep.md", patterns)


def test_the_build_context_has_what_the_processes_need_and_no_secrets(dockerignore):
    needed = ["requirements.txt", "common/pyproject.toml", "common/common/settings.py", "tools/serve.py"]
    needed += ["tools/healthcheck.py", "tools/stack.py", "tools/__init__.py"]
    for service in SERVICES.values():
        needed += [f"{service.folder}/manage.py", f"{service.folder}/{service.folder}/settings.py"]
    assert [path for path in needed if not (REPO_DIR / path).exists()] == []
    assert [path for path in needed if ignored(path, dockerignore)] == []
    for secret_or_local in [".env", ".env.production", ".git/config", ".venv/bin/python", "var/book.sqlite3"]:
        assert ignored(secret_or_local, dockerignore), secret_or_local


def test_every_copy_source_exists_and_is_in_the_build_context(dockerignore):
    copies = re.findall(r"^COPY (?!--from)(?:--\S+ )*(\S+) \S+$", DOCKERFILE, re.MULTILINE)
    assert copies
    for source in copies:
        assert source == "." or ((REPO_DIR / source).exists() and not ignored(source, dockerignore)), source
