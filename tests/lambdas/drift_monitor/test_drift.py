"""The drift job end to end on moto: captured requests in S3, a report per window, metrics that page."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

import pytest
from drift_monitor import capture, job
from drift_monitor.contract import ENDPOINT_DIMENSION
from drift_monitor.job import DRIFT, NO_DRIFT, NO_TRAFFIC, Window
from drift_monitor.profile import PREDICTION

from devtools.traffic import BIGGER, shifted
from tests.lambdas.drift_monitor.world import WINDOW, Served, World

NOW = WINDOW.end + timedelta(minutes=15)  # the hourly schedule's run for WINDOW
SHIFTED = {*BIGGER, "Neighborhood", "Garage.Area", PREDICTION}


def metric(world: World, name: str, **dimensions: str) -> list[float]:
    dims = [{"Name": ENDPOINT_DIMENSION, "Value": world.settings.endpoint}]
    dims += [{"Name": k, "Value": v} for k, v in dimensions.items()]
    points = world.cloudwatch.get_metric_statistics(
        Namespace=world.settings.namespace,
        MetricName=name,
        Dimensions=dims,
        StartTime=NOW - timedelta(hours=1),
        EndTime=NOW + timedelta(hours=1),
        Period=3600,
        Statistics=["Maximum"],
    )["Datapoints"]
    return [p["Maximum"] for p in points]


def test_an_unshifted_window_from_the_held_out_split_shows_no_drift(
    world: World, requests: Callable[..., list[str]], served: Served
) -> None:
    world.put_capture(WINDOW.start, requests())
    (outcome,) = job.run(world.s3, world.cloudwatch, world.settings, [WINDOW], NOW)
    report = world.report(WINDOW)
    assert outcome.verdict == report["verdict"] == NO_DRIFT
    assert report["drifted_features"] == []
    assert report["rows"] == len(served.held_out) and report["unreadable_records"] == 0
    assert report["rows_without_predictions"] == 0
    assert metric(world, "Drift") == [0.0]
    assert metric(world, "FeatureDrift", Feature="area")[0] < 0.1


def test_a_shifted_window_drifts_on_exactly_the_shifted_features_and_the_prediction(
    world: World, requests: Callable[..., list[str]], served: Served
) -> None:
    world.put_capture(WINDOW.start, requests(shifted(served.held_out)))
    (outcome,) = job.run(world.s3, world.cloudwatch, world.settings, [WINDOW], NOW)
    report = world.report(WINDOW)
    assert outcome.verdict == report["verdict"] == DRIFT
    assert set(report["drifted_features"]) == SHIFTED
    assert set(report["paging_features"]) == {"area", PREDICTION}  # the watched ones, and the prediction
    checks = {
        f["name"]: {v["constraint_check_type"] for v in f["violations"]} for f in report["features"] if f["violations"]
    }
    assert checks["Garage.Area"] == {"completeness_check"}
    assert "categorical_values_check" in checks["Neighborhood"]
    assert checks["area"] == checks[PREDICTION] == {"baseline_drift_check"}
    values = {f["name"]: f for f in report["features"]}
    assert values["area"]["distance"] > 0.1 and values["area"]["p_value"] < 0.001 and values["area"]["psi"] > 0.1
    # The metrics carry the same values as the report.
    assert metric(world, "Drift") == [1.0]
    assert metric(world, "FeatureDrift", Feature="area") == [pytest.approx(values["area"]["distance"], abs=1e-6)]
    summary = world.report(WINDOW, "summary.md")
    assert summary.startswith(f"# {world.settings.endpoint}: drift") and "| area | baseline_drift_check |" in summary


def test_answers_with_explanations_are_read_for_their_prices_and_judged_alike(
    world: World, requests: Callable[..., list[str]], served: Served
) -> None:
    """Every other request asked for the explained answer (captured as BASE64, as its type is not in the capture
    config's JSON list): the job reads its predictions, and the window is the one plain answers give."""
    lines = requests(shifted(served.held_out), explained_every=2)
    assert sum(capture.EXPLAINED in line for line in lines) == (len(lines) + 1) // 2
    world.put_capture(WINDOW.start, lines)
    job.run(world.s3, world.cloudwatch, world.settings, [WINDOW], NOW)
    report = world.report(WINDOW)
    assert report["rows"] == len(served.held_out) and report["rows_without_predictions"] == 0
    assert set(report["drifted_features"]) == SHIFTED


def test_with_no_feature_named_every_baseline_feature_is_watched(
    world: World, requests: Callable[..., list[str]], served: Served
) -> None:
    """watched_features empty (the config's default): the job watches every feature of the served package's
    baseline, so another project's model pages on its own columns, not silently on the prediction alone."""
    unnamed = dataclasses.replace(world.settings, watched=())
    world.put_capture(WINDOW.start, requests(shifted(served.held_out)))
    (outcome,) = job.run(world.s3, world.cloudwatch, unnamed, [WINDOW], NOW)
    report = world.report(WINDOW)
    assert outcome.verdict == DRIFT
    assert set(report["paging_features"]) == SHIFTED | {PREDICTION}, "every drifted feature pages"
    assert {"area", "Neighborhood", "Garage.Area"} <= set(report["watched_features"])


def test_an_empty_window_is_no_traffic_not_drift_and_not_an_error(world: World) -> None:
    (outcome,) = job.run(world.s3, world.cloudwatch, world.settings, [WINDOW], NOW)
    assert outcome.verdict == world.report(WINDOW)["verdict"] == NO_TRAFFIC
    assert "No requests in this window" in world.report(WINDOW, "summary.md")
    assert metric(world, "Requests") == [0.0]
    assert metric(world, "Drift") == []  # no verdict to page on


def test_a_window_is_cut_by_inference_time_counts_late_files_and_each_event_once(
    world: World, requests: Callable[..., list[str]]
) -> None:
    inside = requests(start=WINDOW.start + timedelta(minutes=50))
    before = requests(start=WINDOW.start - timedelta(minutes=30))
    # Records of the window in a file written in the next hour (late); the earlier hour's in the window's folder.
    world.put_capture(WINDOW.start, inside[:60] + before[:10])
    world.put_capture(WINDOW.end, inside[60:] + inside[:5])  # five duplicates, delivered twice
    job.run(world.s3, world.cloudwatch, world.settings, [WINDOW], NOW)
    report = world.report(WINDOW)
    assert report["records"] == len(inside) and report["duplicate_records"] == 5
    # A re-run after a later file landed overwrites the window's report.
    world.put_capture(WINDOW.end, requests(start=WINDOW.start + timedelta(minutes=55))[:7])
    job.run(world.s3, world.cloudwatch, world.settings, [WINDOW], NOW + timedelta(minutes=30))
    assert world.report(WINDOW)["records"] == len(inside) + 7


def test_reports_are_encrypted_with_the_stage_key_and_latest_points_at_the_last_window(
    world: World, requests: Callable[..., list[str]]
) -> None:
    world.put_capture(WINDOW.start, requests())
    earlier = WINDOW.before()
    job.run(world.s3, world.cloudwatch, world.settings, [earlier, WINDOW], NOW)
    head = world.s3.head_object(
        Bucket=world.settings.report_bucket, Key=f"{world.settings.report_prefix}/{WINDOW.label}/report.json"
    )
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == world.settings.report_key
    latest = world.report(Window(WINDOW.start, WINDOW.end), "report.json")
    pointer = world.s3.get_object(
        Bucket=world.settings.report_bucket, Key=f"{world.settings.report_prefix}/latest.json"
    )
    assert b'"no-drift"' in pointer["Body"].read() and latest["window"]["start"] == "2026-11-26T10:00:00Z"
    assert world.report(earlier)["verdict"] == NO_TRAFFIC


def test_unreadable_records_are_counted_not_fatal(world: World, requests: Callable[..., list[str]]) -> None:
    lines = requests()
    world.put_capture(WINDOW.start, ["{not json", '{"captureData": {}}', *lines])
    (outcome,) = job.run(world.s3, world.cloudwatch, world.settings, [WINDOW], NOW)
    assert outcome.report["unreadable_records"] == 2 and outcome.report["records"] == len(lines)


def test_a_package_without_a_baseline_is_reported_as_such(world: World, requests: Callable[..., list[str]]) -> None:
    world.put_capture(WINDOW.start, requests())
    settings = type(world.settings)(
        **{**world.settings.__dict__, "baseline_statistics": "", "baseline_constraints": ""}
    )
    (outcome,) = job.run(world.s3, world.cloudwatch, settings, [WINDOW], NOW)
    assert outcome.verdict == "no-baseline" and metric(world, "Drift") == []


def test_an_operators_rerun_rewrites_the_report_only(world: World, requests: Callable[..., list[str]]) -> None:
    world.put_capture(WINDOW.start, requests())
    job.run(world.s3, world.cloudwatch, world.settings, [WINDOW], NOW)
    before = world.s3.get_object(Bucket=world.settings.report_bucket, Key=f"{world.settings.report_prefix}/latest.json")
    earlier = WINDOW.before()
    world.put_capture(earlier.start, requests(start=earlier.start + timedelta(minutes=1)))
    (outcome,) = job.run(world.s3, world.cloudwatch, world.settings, [earlier], NOW, scheduled=False)
    assert outcome.verdict == NO_DRIFT and world.report(earlier)["records"] == outcome.report["records"] > 0
    after = world.s3.get_object(Bucket=world.settings.report_bucket, Key=f"{world.settings.report_prefix}/latest.json")
    assert after["Body"].read() == before["Body"].read()  # still the present
    assert metric(world, "Requests") == [float(world.report(WINDOW)["records"])]  # counted once, by the first run


def test_the_window_before_is_reassessed_and_pages_only_if_it_drifted(
    world: World, requests: Callable[..., list[str]], served: Served
) -> None:
    earlier = WINDOW.before()
    # Late: the earlier window's shifted traffic lands in the window's folder, after its own run.
    world.put_capture(WINDOW.start, requests(shifted(served.held_out), start=earlier.start + timedelta(minutes=50)))
    earlier_outcome, latest = job.run(world.s3, world.cloudwatch, world.settings, [earlier, WINDOW], NOW)
    assert (earlier_outcome.verdict, latest.verdict) == (DRIFT, NO_TRAFFIC)
    assert metric(world, "Drift") == [1.0]  # the late drift pages
    assert metric(world, "Requests") == [0.0]  # only the newest window is counted
    pointer = world.s3.get_object(
        Bucket=world.settings.report_bucket, Key=f"{world.settings.report_prefix}/latest.json"
    )
    assert b'"no-traffic"' in pointer["Body"].read()


def test_an_unreadable_baseline_fails_the_run_with_one_line(world: World) -> None:
    world.s3.put_object(
        Bucket=world.settings.report_bucket,
        Key="promoted/baseline/statistics.json",
        Body=b'{"features": [{"name": "area", "inferred_type": "Integral"}]}',
    )
    with pytest.raises(job.BaselineError, match=r"statistics\.json: expected statistics\.json with a features list"):
        job.run(world.s3, world.cloudwatch, world.settings, [WINDOW], NOW)
