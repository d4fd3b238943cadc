"""bench/drift_window.py's measured path, on a few requests: it configures the job as the Lambda does (environment,
serving stack, baseline from S3), so a change there breaks this test, not the next person's benchmark."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from moto import mock_aws

from bench import drift_window
from tests.lambdas.drift_monitor.world import Served


def test_the_bench_reads_what_is_served_from_the_serving_stack(
    served: Served, requests, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(served.baseline_dir, tmp_path / "out" / "baseline")
    (tmp_path / "capture").mkdir()
    lines = requests()
    (tmp_path / "capture" / "000000000.jsonl").write_text("\n".join(lines))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        figures = drift_window.measure(tmp_path)
    assert figures["records"] == len(lines)
    assert figures["verdict"] == "no-drift"
    assert figures["served_package"].endswith(":model-package/house-price/3")
