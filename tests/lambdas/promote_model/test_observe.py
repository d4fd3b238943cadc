"""The promotion function's logs and metrics as CloudWatch receives them: one JSON object a line (fields as keys,
not JSON inside a string), the EventBridge event's id on every line of the event, and one count per outcome by
stage in CloudWatch's embedded metric format."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from promote_model import observe
from promote_model.contract import METRICS_NAMESPACE, SERVICE, STAGE_DIMENSION, Env, Metric
from promote_model.errors import PromotionError
from promote_model.handler import handler

from devtools.moto_accounts import approval_event
from tests.moto_road import Road


@pytest.fixture()
def lines(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """What the function writes, parsed: its log lines (Powertools' handler, pointed at a buffer) and its metrics
    (printed), in order of kind."""
    buffer = io.StringIO()
    monkeypatch.setattr(observe.logger.registered_handler, "stream", buffer)
    monkeypatch.setenv(Env.STAGE, "test")

    def read() -> dict[str, list[dict[str, Any]]]:
        logs = [json.loads(line) for line in buffer.getvalue().splitlines()]
        printed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
        return {"logs": logs, "metrics": [m for m in printed if "_aws" in m]}

    yield read


def test_a_line_is_one_object_whose_fields_are_keys_and_carries_the_events_id(lines: Any) -> None:
    with observe.taking({"id": "evt-1"}):
        observe.about(stage="test", group="house-price")
        observe.log("promoted", source="arn:aws:sagemaker:eu-west-1:111111111111:model-package/g/1", copied=["a", "b"])
    with observe.taking({"id": "evt-2"}):
        observe.log("ignored", reason="not ours")
    first, second = lines()["logs"]
    assert first["message"] == "promoted" and first["service"] == SERVICE
    assert (first["correlation_id"], first["stage"], first["group"]) == ("evt-1", "test", "house-price")
    assert first["copied"] == ["a", "b"], "a field is JSON, not a string holding JSON"
    assert first["location"].startswith("test_a_line_is_one_object"), "the caller's place, not the helper's"
    assert second["correlation_id"] == "evt-2" and "group" not in second, "nothing of the last event stays"


def test_each_outcome_is_one_count_of_its_stage(lines: Any) -> None:
    with observe.taking({"id": "evt-1"}):
        observe.count(Metric.PROMOTED)
    (written,) = lines()["metrics"]
    (directive,) = written["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == METRICS_NAMESPACE
    assert sorted(map(sorted, directive["Dimensions"])) == [sorted([STAGE_DIMENSION, "service"])]
    assert directive["Metrics"] == [{"Name": Metric.PROMOTED, "Unit": "Count"}]
    assert (written[STAGE_DIMENSION], written[Metric.PROMOTED]) == ("test", [1.0])


def test_a_failure_is_counted_and_still_raised_and_an_ignored_event_counts_nothing(lines: Any) -> None:
    with pytest.raises(PromotionError), observe.taking({"id": "evt-1"}):
        raise PromotionError("copy", "AccessDenied")
    with observe.taking({"id": "evt-2"}):
        observe.log("ignored", reason="not ours")
    (written,) = lines()["metrics"]
    assert written[Metric.FAILED] == [1.0] and Metric.PROMOTED not in written


def test_a_promotion_logs_under_the_approvals_id_and_counts_one_promoted(road: Road, lines: Any) -> None:
    arn = road.register("dev")
    lines()  # the registration's seal is another event
    road.act_as("test")
    event = approval_event(arn)
    assert handler(event)["status"] == "promoted"
    written = lines()
    assert written["logs"] and {line["correlation_id"] for line in written["logs"]} == {event["id"]}
    assert {line["group"] for line in written["logs"] if "group" in line} == {"house-price"}
    (counted,) = written["metrics"]
    assert (counted[STAGE_DIMENSION], counted[Metric.PROMOTED]) == ("test", [1.0])
