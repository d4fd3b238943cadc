"""The drift job's world: moto's S3 and CloudWatch, a served model's baseline, and real traffic (devtools/traffic.py).

The baseline is what the pipeline's Baseline step writes: Roadway's profiler on the Evaluate step's baseline.csv
(evaluate.py: the training split's inputs and the model's answers; training writes no rows beside the model).
Windows come from the held-out split train.py kept aside, never from the baseline's rows. Window size (an hour of
traffic, the held-out split) and thresholds (the shipped config's 0.1, the profiler's constraints) are fixed here
and in devtools/traffic.py, before any test looks at a result.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from drift_monitor import profile
from drift_monitor.contract import Env, StackParameter
from drift_monitor.job import Window
from drift_monitor.settings import Settings
from moto import mock_aws

from devtools import traffic
from model_code import evaluate, inference, train

ROOT = Path(__file__).resolve().parents[3]
BUCKET = "roadway-prod-data"
REGION = "eu-west-1"  # the job is given its names and region; it assumes none
ENDPOINT = "roadway-prod-house-price"
STACK = "roadway-prod-serving"
# What the serving stack's parameters say is served (promotion sets them; the job reads them at each run).
SERVING = {
    StackParameter.MODEL_PACKAGE: f"arn:aws:sagemaker:{REGION}:333333333333:model-package/house-price/3",
    StackParameter.BASELINE_STATISTICS: f"s3://{BUCKET}/promoted/baseline/statistics.json",
    StackParameter.BASELINE_CONSTRAINTS: f"s3://{BUCKET}/promoted/baseline/constraints.json",
}
WINDOW = Window(datetime(2026, 11, 26, 10, tzinfo=UTC), datetime(2026, 11, 26, 11, tzinfo=UTC))


@dataclass(frozen=True)
class Served:
    model: dict[str, Any]
    baseline_dir: Path
    held_out: pd.DataFrame


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    work = tmp_path_factory.mktemp("served")
    train.main(["--train", str(ROOT / "data"), "--model-dir", str(work / "model"), "--output-data-dir", str(work)])
    evaluate.main(str(work / "model"), str(ROOT / "data"), str(work / "evaluation"), str(work / "predicted-baseline"))
    profile.main(["--input", str(work / "predicted-baseline" / "baseline.csv"), "--output", str(work / "baseline")])
    return Served(inference.model_fn(str(work / "model")), work / "baseline", traffic.held_out())


@dataclass
class World:
    """moto's S3 and CloudWatch in the prod account, with the capture bucket and the baseline uploaded."""

    s3: Any
    cloudwatch: Any
    settings: Settings

    def put_capture(self, hour: datetime, lines: list[str]) -> str:
        key = traffic.capture_key(self.settings.capture_prefix, hour)
        self.s3.put_object(Bucket=BUCKET, Key=key, Body="\n".join(lines).encode())
        return key

    def report(self, window: Window, name: str = "report.json") -> Any:
        key = f"{self.settings.report_prefix}/{window.label}/{name}"
        body = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
        return json.loads(body) if name.endswith(".json") else body


def environment(**overrides: str) -> dict[str, str]:
    base = {
        Env.ENDPOINT: ENDPOINT,
        Env.STACK: STACK,
        Env.CAPTURE_BUCKET: BUCKET,
        Env.CAPTURE_PREFIX: f"data-capture/{ENDPOINT}/AllTraffic",
        Env.REPORT_BUCKET: BUCKET,
        Env.REPORT_PREFIX: f"monitoring-reports/{ENDPOINT}",
        Env.REPORT_KEY: "",
        Env.NAMESPACE: "Roadway/DataQuality",
        Env.WATCHED: "area,Overall.Qual,Year.Built,Total.Bsmt.SF",
        Env.THRESHOLD: "0.1",
        Env.WINDOW_MINUTES: "60",
    }
    return {**base, **overrides}


@pytest.fixture()
def world(served: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        for name in ("statistics.json", "constraints.json"):
            s3.put_object(
                Bucket=BUCKET, Key=f"promoted/baseline/{name}", Body=(served.baseline_dir / name).read_bytes()
            )
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack(
            StackName=STACK,
            TemplateBody=json.dumps(serving_template()),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in SERVING.items()],
        )
        configured = Settings.from_environment(environment(**{Env.REPORT_KEY: key}))
        settings = configured.serving(cloudformation)
        assert settings is not None
        yield World(s3, boto3.client("cloudwatch", region_name=REGION), settings)


def serving_template() -> dict[str, Any]:
    """A stand-in serving stack with the real one's three promotion parameters (empty by default, as there)."""
    return {
        "Parameters": {name: {"Type": "String", "Default": ""} for name in SERVING},
        "Resources": {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
    }


@pytest.fixture()
def requests(served: Served) -> Callable[..., list[str]]:
    """Capture lines of the held-out sales (or of ``frame``) from ``start``, one request a second."""

    def make(frame: pd.DataFrame | None = None, start: datetime = WINDOW.start + timedelta(minutes=5)) -> list[str]:
        return traffic.capture_lines(served.model, served.held_out if frame is None else frame, start)

    return make
