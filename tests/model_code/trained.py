"""The model trained once on a sample and packed as model.tar.gz, and houses to ask it about: a plugin of fixtures
for test_model.py and test_serve.py. tests/conftest.py loads it; the serving venv, which runs those two without the
suite's conftest, loads it with ``-p`` (test_serving_image.py)."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from model_code import inference, train

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Train once on a sample, pack model.tar.gz, unpack it elsewhere and load it with model_fn."""
    work = tmp_path_factory.mktemp("model")
    metrics = train.main(
        [
            "--train",
            str(ROOT / "data"),
            "--model-dir",
            str(work / "model"),
            "--output-data-dir",
            str(work / "output"),
            "--sample",
            "900",
        ]
    )
    archive = work / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for item in (work / "model").iterdir():
            tar.add(item, arcname=item.name)
    served = work / "opt-ml-model"
    with tarfile.open(archive) as tar:
        tar.extractall(served, filter="data")
    return {"model": inference.model_fn(str(served)), "metrics": metrics, "work": work}



@pytest.fixture(scope="session")
def houses() -> pd.DataFrame:
    frame = pd.read_csv(ROOT / "data" / "ames.csv")
    return frame.drop(columns=["Order", "PID", "price"]).iloc[:3]
