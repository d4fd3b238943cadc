"""Every package the project runs with is locked, and the installed `roadway` command declares what it needs."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import metadata

from devtools.synth import ROOT
from tests.pins import canonical, pins

# Installed by the venv itself or by `pip install -e .`, not by the locks.
UNLOCKED = {"pip", "setuptools", "roadway"}








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
    command, synth = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-synth.txt")
    everything = pins(ROOT / "requirements-dev.txt")
    for name, version in direct(project["dependencies"]).items():
        assert command[name] == version, name
    for name, version in direct(project["optional-dependencies"]["cdk"]).items():
        assert synth[name] == version, name
    for extra in project["optional-dependencies"].values():
        for name, version in direct(extra).items():
            assert everything[name] == version, name
    assert {name: synth.get(name) for name in command} == command, "the synth lock is built within the command's"
    assert {name: everything.get(name) for name in synth} == synth, "the dev lock is built within the synth one"
    assert not {"aws-cdk-lib", "jsii", "sagemaker"} & set(command), "the command's lock holds what it imports"
    assert not {"sagemaker", "moto", "pytest"} & set(synth), "synth installs no test tool and no model SDK"


def test_the_installed_command_declares_what_it_imports_and_no_more() -> None:
    """`pip install .` gives a `roadway` that imports boto3, pydantic and yaml, without the CDK app's 500 MB (the
    command never synthesizes: tests/test_architecture.py holds it to that)."""
    declared = {
        canonical(re.split(r"[\s\[=<>;]", r)[0]) for r in metadata.requires("roadway") or [] if "extra ==" not in r
    }
    assert declared == {"boto3", "pydantic", "pyyaml"}


def test_the_cdk_cli_is_locked_at_the_pinned_version() -> None:
    wanted = json.loads((ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/aws-cdk"]["version"]
    assert locked == wanted and re.fullmatch(r"\d+\.\d+\.\d+", wanted), "an exact pin, locked"


def test_the_command_imports_only_what_its_own_lock_installs() -> None:
    """The `roadway` command, as `pip install .` installs it, needs nothing from the CDK app's or the tests' locks:
    every distribution whose modules it imports is in requirements.txt (or the standard library)."""
    import subprocess
    import sys

    script = "import sys\nimport roadway.cli\nprint('\\n'.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    imported = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{ROOT}/lambdas"},
    ).stdout.split()
    at_start = subprocess.run(
        [sys.executable, "-c", "import sys; print(chr(10).join(m.split('.')[0] for m in sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()  # the interpreter's own start (setuptools' distutils shim), not the command's
    ours = {"roadway", "promote_model", "drift_monitor"}
    optional = {"certifi"}  # botocore uses certifi's bundle when it is installed, and its own otherwise
    owners = metadata.packages_distributions()
    third_party = {
        canonical(owners[m][0])
        for m in set(imported) - set(at_start) - ours - optional
        if m in owners and m not in sys.stdlib_module_names
    }
    assert third_party and third_party <= set(pins(ROOT / "requirements.txt")), sorted(
        third_party - set(pins(ROOT / "requirements.txt"))
    )
