"""model_code/ runs in the serving image it is registered with: its Python (vermin) and its libraries (the second
virtual environment that `make test` runs the model's tests in)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from model_code import registration
from model_code.pipeline import PROFILER_DIR
from tests.browser import require_or_skip
from tests.model_code.serving_venv import SERVING_PYTHON
from tests.pins import pins, pins_in

ROOT = Path(__file__).resolve().parents[2]
# What runs inside the image: the serving and training code, and the profiler as the pipeline's Baseline step.
IN_THE_IMAGE = [ROOT / "model_code", PROFILER_DIR / "profile.py"]


def vermin(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("vermin")),  # the venv's console script (no __main__)
            "--no-tips",
            "--violations",
            f"-t={registration.IMAGE_PYTHON}-",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_code_needs_no_python_newer_than_the_images() -> None:
    result = vermin(*IN_THE_IMAGE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_vermin_refuses_what_the_image_python_lacks(tmp_path: Path) -> None:
    newer = tmp_path / "newer.py"
    newer.write_text("import annotationlib\n")  # Python 3.14
    result = vermin(newer)
    assert result.returncode != 0 and "annotationlib" in result.stdout


def test_the_serving_pins_name_the_image_registration_registers() -> None:
    header = (ROOT / "requirements-serving.in").read_text()
    assert f"image {registration.IMAGE_VERSION} " in header and f"Python {registration.IMAGE_PYTHON}" in header
    wanted, locked = pins(ROOT / "requirements-serving.in"), pins(ROOT / "requirements-serving.txt")
    assert {name: locked.get(name) for name in wanted} == wanted, "run `make lock`"
    assert wanted["scikit-learn"] == "1.9.0" and wanted["pandas"] == "2.2.3"


def test_the_serving_environment_holds_exactly_the_locked_versions() -> None:
    python = ROOT / ".venv-serving" / "bin" / "python"
    if not python.exists():
        pytest.skip(".venv-serving is missing: `make deps` builds it")
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"],  # pip and setuptools too: the image's, pinned
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    installed = pins_in(listed)
    assert installed == pins(ROOT / "requirements-serving.txt")


def test_the_models_tests_pass_under_the_serving_images_libraries() -> None:
    """test_model.py and test_serve.py, under the serving image's library versions (the serving venv): what the
    container will import. In a process of its own, without the suite's conftest (no CDK there). The development
    venv skips them when this runs them (serving_venv.py)."""
    python = SERVING_PYTHON
    missing = None if python.exists() else ".venv-serving is missing: `make deps` builds it"
    require_or_skip(missing, os.environ.get("CI"))
    tests = ["tests/model_code/test_model.py", "tests/model_code/test_serve.py", "tests/model_code/test_explain.py"]
    result = subprocess.run(
        [str(python), "-m", "pytest", "--noconftest", "-p", "no:xdist", "-p", "tests.model_code.trained", *tests],
        cwd=ROOT,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout and " skipped" not in result.stdout
