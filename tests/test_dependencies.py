"""Every package the project runs with is locked, and the installed `roadway` command declares what it needs."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import metadata
from pathlib import Path

from tests.conftest import ROOT

# Installed by the venv itself or by `pip install -e .`, not by the locks.
UNLOCKED = {"pip", "setuptools", "roadway"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path) -> dict[str, str]:
    return pins_in(lock.read_text())


def pins_in(text: str) -> dict[str, str]:
    """``name==version`` lines (a lock, a requirements file, `pip list --format=freeze`), names canonical."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s;]+)", line)
        if match:
            found[canonical(match.group(1))] = match.group(3)
    return found


def direct(requirements: list[str]) -> dict[str, str]:
    return {canonical(re.split(r"[\[=]", r)[0]): r.split("==")[1] for r in requirements}


def test_every_installed_package_is_locked_at_its_version() -> None:
    lock = pins(ROOT / "requirements-dev.txt")
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    unlocked = {name: v for name, v in installed.items() if name not in UNLOCKED and lock.get(name) != v}
    assert unlocked == {}, (
        "installed but not locked, or at another version: `make lock` after changing pyproject.toml, or recreate "
        ".venv (rm -rf .venv && make deps) when the lock dropped a package"
    )


def test_locks_agree_with_pyproject_and_with_each_other() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, everything = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-dev.txt")
    for name, version in direct(project["dependencies"]).items():
        assert runtime[name] == version, name
    for extra in project["optional-dependencies"].values():
        for name, version in direct(extra).items():
            assert everything[name] == version, name
    assert {name: everything.get(name) for name in runtime} == runtime, "the dev lock is built within the runtime one"


def test_the_installed_command_declares_its_dependencies() -> None:
    """`pip install -e .` alone must give a `roadway` that imports boto3, pydantic and yaml."""
    declared = {
        canonical(re.split(r"[\s\[=<>;]", r)[0]) for r in metadata.requires("roadway") or [] if "extra ==" not in r
    }
    assert {"boto3", "pydantic", "pyyaml", "aws-cdk-lib", "cdk-nag", "constructs"} <= declared


def test_the_cdk_cli_is_locked_at_the_pinned_version() -> None:
    wanted = json.loads((ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/aws-cdk"]["version"]
    assert locked == wanted and re.fullmatch(r"\d+\.\d+\.\d+", wanted), "an exact pin, locked"
