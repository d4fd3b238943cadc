"""SageMaker's capture records in each encoding, and what the job makes of an event and its environment."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from drift_monitor import capture, handler
from drift_monitor.contract import Env
from drift_monitor.job import Window
from drift_monitor.settings import ConfigurationError, Settings

from devtools.drift_world import environment

WHEN = datetime(2026, 11, 26, 10, 15, 2, 500000, tzinfo=UTC)
CSV_BODY = "area,Neighborhood\n1500,NAmes\n2100,\n"


def record(request: dict[str, str], response: dict[str, str] | None = None) -> str:
    data = {"endpointInput": request}
    if response is not None:
        data["endpointOutput"] = response
    metadata = {"eventId": "e-1", "inferenceTime": "2026-11-26T10:15:02.5Z"}
    return json.dumps({"captureData": data, "eventMetadata": metadata, "eventVersion": "0"})


def test_csv_json_and_base64_bodies_read_alike() -> None:
    csv_line = record(
        {"observedContentType": "text/csv", "mode": "INPUT", "data": CSV_BODY, "encoding": "CSV"},
        {
            "observedContentType": "text/csv; charset=utf-8",
            "mode": "OUTPUT",
            "data": "150000.5\n230000\n",
            "encoding": "CSV",
        },
    )
    b64 = base64.b64encode(CSV_BODY.encode()).decode()
    base64_line = record(
        {"observedContentType": "text/csv", "mode": "INPUT", "data": b64, "encoding": "BASE64"},
        {
            "observedContentType": "application/json",
            "mode": "OUTPUT",
            "data": '{"predictions": [150000.5, 230000]}',
            "encoding": "JSON",
        },
    )
    body = json.dumps({"instances": [{"area": 1500, "Neighborhood": "NAmes"}, {"area": 2100, "Neighborhood": None}]})
    json_line = record(
        {"observedContentType": "application/json", "mode": "INPUT", "data": body, "encoding": "JSON"},
        {"observedContentType": "application/json", "mode": "OUTPUT", "data": "[150000.5, 230000]", "encoding": "JSON"},
    )
    parsed = [capture.parse(line) for line in (csv_line, base64_line, json_line)]
    for item in parsed:
        assert item.event_id == "e-1" and item.inference_time == WHEN and item.rows == 2
        assert item.predictions == [150000.5, 230000.0]
    assert parsed[0].houses == parsed[1].houses == {"area": ["1500", "2100"], "Neighborhood": ["NAmes", ""]}
    assert parsed[2].houses == {"area": [1500, 2100], "Neighborhood": ["NAmes", None]}


def test_an_error_response_leaves_the_request_without_predictions() -> None:
    line = record(
        {"observedContentType": "text/csv", "mode": "INPUT", "data": CSV_BODY, "encoding": "CSV"},
        {"observedContentType": "text/plain", "mode": "OUTPUT", "data": "bad request", "encoding": "BASE64"},
    )
    parsed = capture.parse(line)
    assert parsed.rows == 2 and parsed.predictions is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not a capture record"),
        (
            json.dumps({"captureData": {}, "eventMetadata": {"eventId": "x", "inferenceTime": "2026-11-26T10:00:00Z"}}),
            "not a capture record",
        ),
        (record({"observedContentType": "text/csv", "data": "@@", "encoding": "BASE64"}), "undecodable BASE64"),
        (
            record({"observedContentType": "image/png", "data": "AAAA", "encoding": "BASE64"}),
            "neither text/csv nor application/json",
        ),
        (record({"observedContentType": "text/csv", "data": "a,b\n1\n", "encoding": "CSV"}), "length differs"),
    ],
)
def test_unreadable_records_say_why(line: str, reason: str) -> None:
    with pytest.raises(capture.Unreadable, match=reason):
        capture.parse(line)


def test_the_schedule_asks_for_the_last_window_and_the_one_before() -> None:
    settings = Settings.from_environment(environment())
    now = datetime(2026, 11, 26, 11, 15, 3, tzinfo=UTC)
    windows = handler.windows_for({"time": "2026-11-26T11:15:00Z", "detail-type": "Scheduled Event"}, settings, now)
    assert windows == [
        Window(datetime(2026, 11, 26, 9, tzinfo=UTC), datetime(2026, 11, 26, 10, tzinfo=UTC)),
        Window(datetime(2026, 11, 26, 10, tzinfo=UTC), datetime(2026, 11, 26, 11, tzinfo=UTC)),
    ]
    daily = Settings.from_environment(environment(**{Env.WINDOW_MINUTES: "1440"}))
    (_, day) = handler.windows_for({"time": "2026-11-27T00:30:00Z"}, daily, datetime(2026, 11, 27, 0, 31, tzinfo=UTC))
    assert day == Window(datetime(2026, 11, 26, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC))


def test_an_operator_can_rerun_one_window() -> None:
    settings = Settings.from_environment(environment())
    (window,) = handler.windows_for({"window_start": "2026-11-26T08:00:00Z"}, settings, WHEN)
    assert window == Window(datetime(2026, 11, 26, 8, tzinfo=UTC), datetime(2026, 11, 26, 9, tzinfo=UTC))


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"window_start": "2026-11-26T08:30:00Z"}, "window_start: expected a window boundary"),
        ({"window_start": "yesterday"}, "event: unreadable time"),
        ({"detail": {}}, 'event: expected "time"'),
        ([], "event: expected an EventBridge scheduled event"),
    ],
)
def test_a_bad_event_gets_one_line_naming_what_was_expected(event: object, message: str) -> None:
    settings = Settings.from_environment(environment())
    with pytest.raises(ValueError, match=message) as raised:
        handler.windows_for(event, settings, WHEN)  # type: ignore[arg-type]
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({Env.CAPTURE_BUCKET: ""}, f"{Env.CAPTURE_BUCKET} is not set"),
        ({Env.THRESHOLD: "high"}, f"{Env.THRESHOLD} must be a number"),
        ({Env.WINDOW_MINUTES: "30"}, f"{Env.WINDOW_MINUTES} 60 or 1440"),
    ],
)
def test_a_misdeployed_function_names_the_variable(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_environment(environment(**overrides))


def test_a_body_that_is_not_an_object_is_unreadable_not_a_crash() -> None:
    line = json.dumps(
        {
            "captureData": {"endpointInput": "area=1500"},
            "eventMetadata": {"eventId": "x", "inferenceTime": "2026-11-26T10:00:00Z"},
        }
    )
    with pytest.raises(capture.Unreadable, match="captured body is not an object"):
        capture.parse(line)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("area,Neighborhood,Garage.Area\n1500,NAmes,400\n2100,,NA\n", capture.CSV),
        ('[{"area": 1500, "Neighborhood": "NAmes"}, {"area": 2100, "Neighborhood": null}]', capture.JSON),
        ('{"instances": [{"area": 1500, "Neighborhood": "NAmes"}]}', capture.JSON),
        ('{"area": 1500, "Neighborhood": "NAmes"}', capture.JSON),
    ],
)
def test_the_job_reads_a_request_as_the_model_does(body: str, kind: str) -> None:
    """The drift job (a Lambda) cannot import the serving code (it ships in the model), so the request formats
    are written twice; this holds the two readings together: same columns, same houses, same missing cells."""
    from drift_monitor.profile import is_missing

    from model_code import inference

    served = inference.input_fn(body, kind)
    line = record(
        {
            "observedContentType": kind,
            "mode": "INPUT",
            "data": body,
            "encoding": "CSV" if kind == capture.CSV else "JSON",
        }
    )
    captured = capture.parse(line).houses
    assert list(captured) == list(served)
    for name, values in captured.items():
        model_side = list(served[name])
        assert len(values) == len(model_side)
        for ours, theirs in zip(values, model_side, strict=True):
            assert is_missing(ours) == is_missing(theirs)
            if not is_missing(ours):
                assert str(ours) == str(theirs)


def test_the_job_reads_what_is_served_from_its_stack_at_each_run(
    world: Any, requests: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Promotion sets the serving stack's parameters and touches nothing of the job: each run reads them. With
    nothing served (a stack before its first promotion, or withdrawn to none) the run does nothing at all."""
    import boto3

    from devtools.drift_world import REGION, SERVING, STACK
    from tests.lambdas.drift_monitor.world import WINDOW

    for name, value in environment(**{Env.REPORT_KEY: world.settings.report_key}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(handler, "_settings", None)
    world.put_capture(WINDOW.start, requests())
    event = {"time": WINDOW.end.isoformat(), "detail-type": "Scheduled Event"}
    cloudformation = boto3.client("cloudformation", region_name=REGION)

    def serve(values: dict[str, str]) -> None:
        cloudformation.update_stack(
            StackName=STACK,
            UsePreviousTemplate=True,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()],
        )

    serve(dict.fromkeys(SERVING, ""))
    idle = handler.handler(event)
    assert idle == {"endpoint": world.settings.endpoint, "served_package": "", "windows": []}
    listed = world.s3.list_objects_v2(Bucket=world.settings.report_bucket, Prefix=world.settings.report_prefix)
    assert listed.get("KeyCount", 0) == 0, "nothing served: no report, no metric"

    serve(SERVING)
    done = handler.handler(event)
    assert done["served_package"] == SERVING["ModelPackageArn"]
    assert [w["start"] for w in done["windows"]][-1] == WINDOW.start.isoformat().replace("+00:00", "Z")


def test_each_window_is_one_log_line_under_the_schedules_event_id_and_metrics_carry_the_contracts_dimensions(
    world: Any, requests: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job's logs read like the promoter's (Powertools JSON, the event's id as correlation id), one line per
    window's verdict; its metrics carry the dimensions drift_monitor/contract.py declares, which the alarm selects
    by (tests/stacks/constructs/serving/test_drift_monitor.py holds the CDK side)."""
    import io
    import json

    from drift_monitor.contract import ENDPOINT_DIMENSION, FEATURE_DIMENSION, FEATURE_METRIC, VERDICT_METRIC

    from tests.lambdas.drift_monitor.world import WINDOW

    for name, value in environment(**{Env.REPORT_KEY: world.settings.report_key}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(handler, "_settings", None)
    stream = io.StringIO()
    monkeypatch.setattr(handler.logger.registered_handler, "stream", stream)
    world.put_capture(WINDOW.start, requests())
    event = {"id": "0c1d2e3f-schedule", "time": WINDOW.end.isoformat(), "detail-type": "Scheduled Event"}
    done = handler.handler(event)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    windows = [line for line in lines if line["message"] == "window"]
    assert [w["window_start"] for w in windows] == [w["start"] for w in done["windows"]], "one line per window"
    assert {w["correlation_id"] for w in lines} == {"0c1d2e3f-schedule"}
    assert {(w["service"], w["endpoint"]) for w in lines} == {("roadway-drift", world.settings.endpoint)}
    assert windows[-1]["verdict"] == done["windows"][-1]["verdict"] and windows[-1]["records"] == len(requests())
    listed = world.cloudwatch.list_metrics(Namespace=world.settings.namespace)["Metrics"]
    dimensions = {m["MetricName"]: sorted(d["Name"] for d in m["Dimensions"]) for m in listed}
    assert dimensions[VERDICT_METRIC] == [ENDPOINT_DIMENSION]
    assert dimensions[FEATURE_METRIC] == sorted([ENDPOINT_DIMENSION, FEATURE_DIMENSION])
