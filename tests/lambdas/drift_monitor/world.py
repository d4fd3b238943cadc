"""The drift tests' world: the served model and its baseline, and moto's S3 and CloudWatch in the prod account
(devtools/drift_world.py lays that account, as bench/drift_window.py does)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from drift_monitor.job import Window
from drift_monitor.settings import Settings

from devtools import traffic
from devtools.drift_world import BUCKET

WINDOW = Window(datetime(2026, 11, 26, 10, tzinfo=UTC), datetime(2026, 11, 26, 11, tzinfo=UTC))


@dataclass(frozen=True)
class Served:
    model: dict[str, Any]
    baseline_dir: Path
    held_out: pd.DataFrame



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
