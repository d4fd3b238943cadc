"""Where the model's own tests run: under the serving image's libraries (the serving venv), which is what the
container imports. The development venv runs them only when the serving venv is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVING_VENV = ROOT / ".venv-serving"
SERVING_PYTHON = SERVING_VENV / "bin" / "python"

# test_model.py and test_serve.py: the serving venv runs them (test_serving_image.py), once.
in_the_serving_venv = pytest.mark.skipif(
    SERVING_PYTHON.exists() and Path(sys.prefix).resolve() != SERVING_VENV.resolve(),
    reason="run under the serving image's libraries by test_serving_image.py",
)
