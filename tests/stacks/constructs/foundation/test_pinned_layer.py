"""The functions' layers: built by pip for the platform the functions run on, exactly the pinned versions (those
the tests run with), and a synth without them says how to build them in one line. moto runs no Lambda: that the
code will load is read from the built layers and the templates."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devtools.synth import Synth
from stacks.app import cli_context
from stacks.constructs.foundation.pinned_layer import LAYERS, PLATFORM, PinnedLayer

ROOT = Path(__file__).resolve().parents[4]
# The function that runs each layer: its template and handler.
USERS = {  # a layer's function, and the construct id its layer has there
    "drift-statistics": ("roadway-prod-serving", "drift_monitor.handler.handler", "Statistics"),
    "powertools": ("roadway-test-promotion", "promote_model.handler.handler", "Powertools"),
}


def _locked() -> dict[str, str]:
    lines = (ROOT / "requirements-dev.txt").read_text().splitlines()
    return dict(line.split("==") for line in lines if "==" in line and not line.startswith(("#", " ")))


def test_the_layers_are_built_for_the_platform_the_construct_declares() -> None:
    makefile = (ROOT / "Makefile").read_text()
    layer = re.search(r"--platform (\S+)\s.*?--python-version (\S+)", makefile, re.DOTALL)
    assert layer, "the layers' pip install names a platform and a Python version"
    assert f"{layer.group(1)} cp{layer.group(2).replace('.', '')}" == PLATFORM


@pytest.mark.parametrize("layer", LAYERS, ids=[layer.name for layer in LAYERS])
def test_every_pin_names_its_wheels_bytes(layer: PinnedLayer) -> None:
    """Each requirement carries at least one sha256 (pip then requires them of every file it installs), so the asset
    id, a hash of these pins, follows the bytes installed. Read as pip reads it: backslash continuations joined."""
    logical = layer.requirements.read_text().replace("\\\n", " ").splitlines()
    requirements = [line for line in logical if line.strip() and not line.lstrip().startswith("#")]
    assert requirements, f"{layer.requirements.name} pins nothing"
    unhashed = [line.split()[0] for line in requirements if not re.search(r"--hash=sha256:[0-9a-f]{64}\b", line)]
    assert not unhashed, f"{layer.requirements.name}: {unhashed} without --hash=sha256:"


@pytest.mark.parametrize("layer", LAYERS, ids=[layer.name for layer in LAYERS])
def test_a_built_layer_holds_nothing_of_its_builder(layer: PinnedLayer) -> None:
    """No console script (its #! names the builder's interpreter) and no RECORD (it lists their hashes): two builders
    of the same pins write the same files."""
    python = layer.directory / "python"
    assert python.is_dir(), f"{python} is missing: run `make layers`"
    builders = [python / "bin", *python.glob("*.dist-info/RECORD")]
    left = sorted(str(path.relative_to(python)) for path in builders if path.exists())
    assert not left, f"{layer.name}: {left} (make layers deletes them)"


@pytest.mark.parametrize("layer", LAYERS, ids=[layer.name for layer in LAYERS])
def test_a_built_layer_is_what_its_function_runs(synth: Synth, layer: PinnedLayer) -> None:
    """Every package is a wheel for the function's Python and architecture (or pure Python), on a glibc Lambda's
    runtime has (Amazon Linux 2023: 2.34), exactly the pinned versions, which are the ones the tests ran."""
    stack, handler, construct = USERS[layer.name]
    (function,) = [
        r["Properties"]
        for r in synth.resources(stack, "AWS::Lambda::Function").values()
        if r["Properties"]["Handler"] == handler
    ]
    runtime, (architecture,) = function["Runtime"], function["Architectures"]
    carried = [ref["Ref"] for ref in function["Layers"]]
    assert [c for c in carried if construct in c], f"it carries its layer: {carried}"
    python = "cp" + runtime.removeprefix("python").replace(".", "")
    machine = {"arm64": "aarch64", "x86_64": "x86_64"}[architecture]
    found = {}
    for wheel in sorted((layer.directory / "python").glob("*.dist-info/WHEEL")):
        name, version = wheel.parent.name.removesuffix(".dist-info").rsplit("-", 1)
        found[name.replace("_", "-")] = version
        tags = [line.split(": ")[1] for line in wheel.read_text().splitlines() if line.startswith("Tag: ")]
        usable = [
            t
            for t in tags
            if t.startswith("py3-none-any")
            or (
                t.startswith(f"{python}-{python}-manylinux_")
                and t.endswith(f"_{machine}")
                and tuple(int(n) for n in t.split("manylinux_")[1].split("_")[:2]) <= (2, 34)
            )
        ]
        assert usable, f"{name} {version}: {tags} do not run on {runtime} {architecture}"
    assert found == layer.pins()
    locked = _locked()
    assert {name: locked[name] for name in found} == found, "the layer runs what the tests ran"


def test_synth_without_a_built_layer_says_how_to_build_it_in_one_line(tmp_path: Path) -> None:
    """What `cdk synth` shows a user who skipped `make`: one line and exit code 2 (the app runs in a process of its
    own, as under the CLI, with the layers' root pointed somewhere empty)."""
    program = (
        "import sys, pathlib; import stacks.constructs.foundation.pinned_layer as p; "
        f"p.ROOT = pathlib.Path({str(tmp_path)!r}); "
        "from stacks.app import main; sys.exit(main())"
    )
    environment: dict[str, Any] = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{ROOT}:{ROOT / 'lambdas'}",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_CONTEXT_JSON": json.dumps(cli_context()),
        "CDK_OUTDIR": str(tmp_path / "out"),
    }
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("roadway:")]
    assert len(lines) == 1 and re.fullmatch(
        r"roadway: build/layers/(drift-statistics|powertools) is missing: run `make layers` \(make synth and test do\)",
        lines[0],
    ), lines
    assert "Traceback" not in result.stderr
