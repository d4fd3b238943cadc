"""The SageMaker Pipeline's definition, generated offline, and the Evaluate step it runs."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest

from model_code import evaluate, train
from model_code.pipeline import PipelineSettings, definition

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pipeline() -> dict[str, Any]:
    return definition(PipelineSettings(bucket="roadway-dev-pipeline", group="house-price"))


def steps_by_name(steps: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for step in steps:
        found[step["Name"]] = step
        if step["Type"] == "Condition":
            found.update(steps_by_name(step["Arguments"]["IfSteps"] + step["Arguments"]["ElseSteps"]))
    return found


def test_train_evaluate_check_register(pipeline: dict[str, Any]) -> None:
    assert [s["Name"] for s in pipeline["Steps"]] == ["Train", "Evaluate", "CheckRmse"]
    steps = steps_by_name(pipeline["Steps"])
    assert {n: s["Type"] for n, s in steps.items()} == {
        "Train": "Training",
        "Evaluate": "Processing",
        "CheckRmse": "Condition",
        "Register": "RegisterModel",
        "RmseTooHigh": "Fail",
    }
    assert {p["Name"]: p["DefaultValue"] for p in pipeline["Parameters"]} == {
        "TrainData": "s3://roadway-dev-pipeline/datasets/ames/",
        "MaxRmseLog": 0.125,
        "ModelKind": "ridge",
    }
    (condition,) = steps["CheckRmse"]["Arguments"]["Conditions"]
    assert condition["Type"] == "LessThanOrEqualTo"
    assert condition["LeftValue"]["Std:JsonGet"]["Path"] == "regression_metrics.rmse_log.value"
    assert condition["RightValue"] == {"Get": "Parameters.MaxRmseLog"}
    assert [s["Name"] for s in steps["CheckRmse"]["Arguments"]["IfSteps"]] == ["Register"]


def test_register_step_waits_for_approval_with_metrics(pipeline: dict[str, Any]) -> None:
    register = steps_by_name(pipeline["Steps"])["Register"]["Arguments"]
    assert register["ModelPackageGroupName"] == "house-price"
    assert register["ModelApprovalStatus"] == "PendingManualApproval"
    (container,) = register["InferenceSpecification"]["Containers"]
    assert container["ModelDataUrl"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    assert "sagemaker-scikit-learn:1.2-1" in container["Image"]
    statistics = register["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics["ContentType"] == "application/json"
    assert "Steps.Evaluate.ProcessingOutputConfig" in json.dumps(statistics["S3Uri"])
    train_step = steps_by_name(pipeline["Steps"])["Train"]["Arguments"]
    channels = {c["ChannelName"] for c in train_step["InputDataConfig"]}
    assert "train" in channels


def test_the_evaluate_step_reproduces_trainings_held_out_metrics(tmp_path: Path) -> None:
    metrics = train.main(
        [
            "--train",
            str(ROOT / "data"),
            "--model-dir",
            str(tmp_path / "model"),
            "--output-data-dir",
            str(tmp_path / "output"),
        ]
    )
    packed = tmp_path / "processing-model"
    packed.mkdir()
    with tarfile.open(packed / "model.tar.gz", "w:gz") as tar:
        for item in (tmp_path / "model").iterdir():
            tar.add(item, arcname=item.name)
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(ROOT / "data" / "ames.csv", data / "ames.csv")
    report = evaluate.main(str(packed), str(data), str(tmp_path / "evaluation"))
    assert report["regression_metrics"]["rmse_log"]["value"] == pytest.approx(metrics["rmse_log"])
    written = json.loads((tmp_path / "evaluation" / "evaluation.json").read_text())
    assert written == report
