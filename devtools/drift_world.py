"""The prod account the drift job runs in, as the drift tests and bench/drift_window.py lay it: its data bucket,
endpoint and serving stack, the environment CDK gives the job, and what deploying the serving stack and a promotion
leave there (the served baseline in the bucket, the stack's promotion parameters naming it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from drift_monitor.contract import Env, StackParameter

REGION = "eu-west-1"  # the job is given its names and region; it assumes none
BUCKET = "roadway-prod-data"
ENDPOINT = "roadway-prod-house-price"
STACK = "roadway-prod-serving"
BASELINE = "promoted/baseline"
# What the serving stack's parameters say is served (promotion sets them; the job reads them at each run).
SERVING = {
    StackParameter.MODEL_PACKAGE: f"arn:aws:sagemaker:{REGION}:333333333333:model-package/house-price/3",
    StackParameter.BASELINE_STATISTICS: f"s3://{BUCKET}/{BASELINE}/statistics.json",
    StackParameter.BASELINE_CONSTRAINTS: f"s3://{BUCKET}/{BASELINE}/constraints.json",
}


def environment(**overrides: str) -> dict[str, str]:
    """The job's environment as the serving stack gives it (the shipped config's watch and threshold)."""
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


def serving_template() -> dict[str, Any]:
    """A stand-in serving stack with the real one's three promotion parameters (empty by default, as there)."""
    return {
        "Parameters": {name: {"Type": "String", "Default": ""} for name in SERVING},
        "Resources": {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
    }


def serve(baseline_dir: Path, s3: Any, cloudformation: Any) -> None:
    """Leave what deploying the serving stack and promoting a package leave: the data bucket with the baseline of
    ``baseline_dir``, and the serving stack whose promotion parameters name the package and that baseline."""
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    for name in ("statistics.json", "constraints.json"):
        s3.put_object(Bucket=BUCKET, Key=f"{BASELINE}/{name}", Body=(baseline_dir / name).read_bytes())
    cloudformation.create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(serving_template()),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in SERVING.items()],
    )
