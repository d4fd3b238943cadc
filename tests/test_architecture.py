"""The architecture's import rules (pyproject.toml, [tool.importlinter]) hold on the tree, and each one fails when
broken: a copy of the tree with one forbidden import added is refused by exactly the rule it breaks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("roadway", "stacks", "lambdas", "model_code", "devtools", "bench", "tests")


def lint_imports(root: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    chosen = [arg for contract in contracts for arg in ("--contract", contract)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *chosen],
        cwd=root,
        env={**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'lambdas'}"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_tree_keeps_every_rule() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert f"Contracts: {len(declared)} kept, 0 broken." in result.stdout


@pytest.fixture(scope="module")
def copy_of_the_tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "*.json"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    yield root


# (file, the import added to it, the rule that must refuse it)
BREAKS = [
    ("lambdas/promote_model/gate.py", "import aws_cdk", "runtime"),
    ("model_code/train.py", "from promote_model import contract", "runtime-parts"),
    ("lambdas/promote_model/contract.py", "import boto3", "runtime-names"),
    ("roadway/config.py", "from roadway import cli", "contract"),
    ("roadway/images.py", "from roadway import config", "contract-layers"),
    ("stacks/serving_stack.py", "from promote_model import promotion", "cdk-app"),
    ("roadway/cli.py", "import aws_cdk", "cli"),
    ("lambdas/drift_monitor/job.py", "from devtools import moto_accounts", "installed"),
    ("devtools/moto_road.py", "from tests import moto_road", "tools"),
    ("bench/promotion_size.py", "from tests import conftest", "tools"),
]


@pytest.mark.parametrize(("module", "line", "rule"), BREAKS, ids=[rule for _, _, rule in BREAKS])
def test_a_forbidden_import_breaks_its_rule(copy_of_the_tree: Path, module: str, line: str, rule: str) -> None:
    path = copy_of_the_tree / module
    original = path.read_text()
    try:
        assert lint_imports(copy_of_the_tree, rule).returncode == 0, "the copy keeps the rule before the change"
        path.write_text(f"{original}\n{line}  # noqa\n")
        result = lint_imports(copy_of_the_tree, rule)
    finally:
        path.write_text(original)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout and module.removeprefix("lambdas/").removesuffix(".py").replace("/", ".") in (
        result.stdout
    )
