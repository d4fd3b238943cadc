"""The harness's reaches into botocore's and moto's private parts are each pinned to the version they were written
against: an upgrade fails with one line naming the module and what it reaches into. And one switch turns the
speed-ups off."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from types import ModuleType

import pytest

from devtools import speedups
from devtools.patched import Unpatchable
from devtools.patched import botocore as patched_botocore
from devtools.patched import moto as patched_moto
from devtools.synth import ROOT
from tests.pins import pins

PATCHED = {"botocore": patched_botocore, "moto": patched_moto}


@pytest.mark.parametrize("library", sorted(PATCHED))
def test_each_patched_library_is_the_locked_version(library: str) -> None:
    """Upgrading the lock without reading the touches again fails the first import (the test below); this says why."""
    assert pins(ROOT / "requirements-dev.txt")[library] == PATCHED[library].TESTED


@pytest.mark.parametrize("library", sorted(PATCHED))
def test_a_changed_version_fails_in_one_line_naming_what_it_reaches_into(
    library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    module: ModuleType = PATCHED[library]
    module.check()  # the installed version passes
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "99.0.0" if name == library else real(name))
    with pytest.raises(Unpatchable) as raised:
        module.check()
    said = str(raised.value)
    assert "\n" not in said
    assert said.startswith(f"devtools/patched/{library}.py reaches into {library} {module.TESTED}'s private ")
    assert f"but {library} 99.0.0 is installed: check each against 99.0.0, then set TESTED = '99.0.0' there" in said


def applied(switch: str | None) -> str:
    """What ``speedups.apply()`` turns on in a fresh interpreter, and whether botocore then shares its loaders."""
    env = {k: v for k, v in os.environ.items() if k != speedups.SWITCH}
    if switch is not None:
        env[speedups.SWITCH] = switch
    code = (
        "import botocore.session\nfrom devtools import speedups\n"
        "print(speedups.apply(), getattr(botocore.session.create_loader, 'shared', False))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    return result.stdout.strip() or result.stderr.strip().splitlines()[-1]


def test_the_switch_turns_every_speed_up_off_and_refuses_a_value_it_does_not_know(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import botocore.session

    # This worker's own state: tests/conftest.py applied the speed-ups unless switched off.
    assert getattr(botocore.session.create_loader, "shared", False) is speedups.enabled()
    assert applied("0") == "[] False", "a fresh interpreter with the switch off patches nothing"
    monkeypatch.setenv(speedups.SWITCH, "off")
    with pytest.raises(ValueError, match=f"^{speedups.SWITCH} is 'off': expected 0 \\(speed-ups off\\) or 1"):
        speedups.enabled()
