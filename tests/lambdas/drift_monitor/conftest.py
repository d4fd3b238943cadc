"""The drift job's world: moto's S3 and CloudWatch, a served model's baseline, and real traffic (devtools/traffic.py).

The baseline is what the pipeline's Baseline step writes: Roadway's profiler on the Evaluate step's baseline.csv
(evaluate.py: the training split's inputs and the model's answers; training writes no rows beside the model).
Windows come from the held-out split train.py kept aside, never from the baseline's rows. Window size (an hour of
traffic, the held-out split) and thresholds (the shipped config's 0.1, the profiler's constraints) are fixed here
and in devtools/traffic.py, before any test looks at a result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import boto3
import pandas as pd
import pytest
from drift_monitor.contract import Env
from drift_monitor.settings import Settings
from moto import mock_aws

from devtools import traffic
from devtools.drift_world import REGION, environment, serve
from devtools.moto_road import Evidence
from model_code import inference
from tests.lambdas.drift_monitor.world import WINDOW, Served, World


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    work = tmp_path_factory.mktemp("served")
    Evidence.trained(work)  # the pipeline's steps: the model in work/model, its baseline in work/out/baseline
    return Served(inference.model_fn(str(work / "model")), work / "out" / "baseline", traffic.held_out())


@pytest.fixture()
def world(served: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        serve(served.baseline_dir, s3, cloudformation)
        key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        configured = Settings.from_environment(environment(**{Env.REPORT_KEY: key}))
        settings = configured.serving(cloudformation)
        assert settings is not None
        yield World(s3, boto3.client("cloudwatch", region_name=REGION), settings)


@pytest.fixture()
def requests(served: Served) -> Callable[..., list[str]]:
    """Capture lines of the held-out sales (or of ``frame``) from ``start``, one request a second."""

    def make(
        frame: pd.DataFrame | None = None,
        start: datetime = WINDOW.start + timedelta(minutes=5),
        explained_every: int = 0,
    ) -> list[str]:
        houses = served.held_out if frame is None else frame
        return traffic.capture_lines(served.model, houses, start, explained_every=explained_every)

    return make
