"""`make demo`'s path, run as a test: moto_server, three accounts, a trained model from dev to prod."""

from __future__ import annotations

import pytest

from roadway import demo


def test_demo_drives_a_trained_model_from_dev_to_prod(capsys: pytest.CaptureFixture[str]) -> None:
    result = demo.run(demo.free_port())
    assert result["prod_serves"] == result["prod"], "prod's endpoint serves the promoted package"
    assert result["status"] == "Approved"
    lineage = result["lineage"]
    assert lineage["roadway:origin-arn"] == result["dev"], "prod traces back to the dev package"
    assert lineage["roadway:source-arn"] == result["test"]
    assert lineage["roadway:approved-by"] == "mlops-test"
    assert lineage["roadway:training-data"] == "data/ames.csv"
    printed = capsys.readouterr().out
    for step in ("Training the house-price model", "Promoted to test", "Promoted to prod", "Stopped moto_server"):
        assert step in printed
