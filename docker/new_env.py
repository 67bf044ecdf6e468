"""Settings with new random secrets, for docker compose and for Kubernetes:

    python3 docker/new_env.py

writes .env (read by docker compose) from .env.example, and deploy/k8s/secrets.env (made
into the Secret bookstore-secrets by deploy/k8s/kustomization.yaml) from
deploy/k8s/secrets.env.example. Both are git-ignored. Every key and password gets a new
random value; a value may name another as {name} (the database URLs name the password).
A file that exists is kept: delete it to make it anew (and change the passwords in the
database too, which keeps the ones it was created with).

The services refuse the repository's built-in development keys when DEBUG is off
(common/checks.py), so compose and Kubernetes need keys of their own. Standard library only.
"""

import argparse
import re
import secrets
import sys
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
FILES = {".env.example": ".env", "deploy/k8s/secrets.env.example": "deploy/k8s/secrets.env"}
_LINE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)=(?P<value>.*)$")


def new_secret(name: str) -> str | None:
    """A new value for a secret setting, or None if `name` is not one."""
    lowered = name.lower()
    if "password" in lowered:
        return secrets.token_hex(16)  # letters and digits: it goes into database URLs
    if lowered.replace("_", "-").endswith("key"):
        return secrets.token_urlsafe(50)
    return None


def fill(example: str) -> str:
    """The example with a new value for every secret, and {name} references resolved."""
    settings: dict[str, str] = {}
    for line in example.splitlines():
        if match := _LINE.match(line):
            settings[match["name"]] = new_secret(match["name"]) or match["value"]

    def resolve(reference: re.Match) -> str:
        if reference[1] not in settings:
            raise KeyError(f"{{{reference[1]}}} names no setting of the file")
        return settings[reference[1]]

    lines = []
    for line in example.splitlines():
        if match := _LINE.match(line):  # comments are copied as they are
            line = f"{match['name']}={re.sub(r'[{]([A-Za-z0-9_.-]+)[}]', resolve, settings[match['name']])}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPO_DIR, help="the repository root (tests use a copy)")
    args = parser.parse_args(argv)
    for example_name, target_name in FILES.items():
        target = args.repo / target_name
        if target.exists():
            print(f"{target_name} exists; kept (delete it to make new secrets)")
            continue
        target.write_text(fill((args.repo / example_name).read_text()))
        target.chmod(0o600)
        print(f"{target_name} written with new random secrets")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
