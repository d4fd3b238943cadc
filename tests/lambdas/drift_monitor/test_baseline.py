"""One baseline serves both engines: Roadway's profiler writes Model Monitor's schema, and the drift job reads
files Model Monitor's analyzer wrote (tests/fixtures/model_monitor, with their source)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from drift_monitor import compare, profile
from drift_monitor.profile import Column

from model_code import evaluate, features
from tests.lambdas.drift_monitor.world import Served

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "model_monitor"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def shape(node: Any) -> Any:
    """A JSON document's structure: keys and value types, lists by their first element."""
    if isinstance(node, dict):
        return {key: shape(value) for key, value in node.items()}
    if isinstance(node, list):
        return [shape(node[0])] if node else []
    return "number" if isinstance(node, (int, float)) and not isinstance(node, bool) else type(node).__name__


def covers(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Where ``ours`` lacks a key of ``theirs`` or holds another type there."""
    if isinstance(theirs, dict):
        if not isinstance(ours, dict):
            return [f"{path}: expected an object"]
        return [p for key in theirs for p in covers(ours.get(key, "<missing>"), theirs[key], f"{path}.{key}")]
    if isinstance(theirs, list):
        if not isinstance(ours, list):
            return [f"{path}: expected a list"]
        return covers(ours[0], theirs[0], f"{path}[0]") if theirs and ours else []
    return [] if ours == theirs else [f"{path}: {ours} where Model Monitor writes {theirs}"]


def test_the_profilers_statistics_have_every_field_model_monitor_writes(served: Served) -> None:
    ours = json.loads((served.baseline_dir / "statistics.json").read_text())
    real_numeric, real_string = load("statistics.json"), load("statistics_string.json")
    numeric = next(f for f in ours["features"] if f["name"] == "area")
    string = next(f for f in ours["features"] if f["name"] == "Neighborhood")
    assert covers(shape(numeric), shape(real_numeric["features"][0])) == []
    assert covers(shape(string), shape(real_string["features"][0])) == []
    assert covers(shape({k: v for k, v in ours.items() if k != "features"}), shape(real_numeric)) == [
        ".features: expected a list"
    ]  # (the top level is compared without its features, which are checked above)


def test_the_profilers_constraints_have_every_field_model_monitor_writes(served: Served) -> None:
    ours = json.loads((served.baseline_dir / "constraints.json").read_text())
    real = load("constraints.json")
    area = next(f for f in ours["features"] if f["name"] == "area")
    assert covers(shape(area), shape(real["features"][0])) == []
    assert covers(shape(ours["monitoring_config"]), shape(real["monitoring_config"])) == []


def test_the_baseline_profiles_every_input_and_the_prediction(served: Served) -> None:
    stats = json.loads((served.baseline_dir / "statistics.json").read_text())
    names = [f["name"] for f in stats["features"]]
    assert names == [*served.model["inputs"], profile.PREDICTION]
    kinds = {f["name"]: f["inferred_type"] for f in stats["features"]}
    assert kinds["area"] == "Integral" and kinds["Neighborhood"] == "String" and kinds["prediction"] == "Fractional"
    area = next(f for f in stats["features"] if f["name"] == "area")["numerical_statistics"]
    buckets = area["distribution"]["kll"]["buckets"]
    assert len(buckets) == profile.BUCKETS and sum(b["count"] for b in buckets) == area["common"]["num_present"]
    sketch = area["distribution"]["kll"]["sketch"]
    weight = sum(len(level) * 2**height for height, level in enumerate(sketch["data"]))
    assert abs(weight - area["common"]["num_present"]) < 2 ** (len(sketch["data"]) - 1)


def test_the_drift_job_reads_a_baseline_model_monitor_wrote() -> None:
    """Requests drawn from the real file's own buckets show no drift; the same requests shifted do."""
    stats, limits = load("statistics.json"), load("constraints.json")
    rng = np.random.default_rng(0)
    window: dict[str, Column] = {}
    moved: dict[str, Column] = {}
    for feature in stats["features"]:
        buckets = feature["numerical_statistics"]["distribution"]["kll"]["buckets"]
        counts = np.array([b["count"] for b in buckets])
        chosen = rng.choice(len(buckets), size=2000, p=counts / counts.sum())
        values = [rng.uniform(buckets[i]["lower_bound"], buckets[i]["upper_bound"]) for i in chosen]
        window[feature["name"]] = Column(feature["inferred_type"])
        window[feature["name"]].add(values)
        moved[feature["name"]] = Column(feature["inferred_type"])
        moved[feature["name"]].add([v + (feature["numerical_statistics"]["max"] - v) * 0.9 for v in values])
    thresholds = compare.Thresholds.of(limits)
    assert thresholds.comparison == 0.1 and thresholds.robust  # the file's own: Robust, 0.1
    quiet = compare.compare(stats, limits, window, 2000, thresholds)
    assert [r.name for r in quiet if r.drifted] == []
    shifted = compare.compare(stats, limits, moved, 2000, thresholds)
    assert [r.name for r in shifted if r.drifted] == [f["name"] for f in stats["features"]]


def test_simple_comparison_needs_no_evidence_robust_does() -> None:
    """Ten requests that all moved: a distance of 1, but ten requests are no evidence for Robust."""
    stats, limits = load("statistics.json"), load("constraints.json")
    feature = stats["features"][0]
    top = feature["numerical_statistics"]["max"]
    column = Column(feature["inferred_type"])
    column.add([top + 1] * 3)
    robust = compare.compare_feature(feature, limits["features"][0], column, 3, compare.Thresholds.of(limits))
    simple_limits = json.loads(json.dumps(limits).replace('"Robust"', '"Simple"'))
    simple = compare.compare_feature(feature, limits["features"][0], column, 3, compare.Thresholds.of(simple_limits))
    assert robust.distance == simple.distance == pytest.approx(1.0)
    assert not robust.drifted and simple.drifted


def test_a_type_violation_is_found_and_named() -> None:
    stats, limits = load("statistics.json"), load("constraints.json")
    feature = stats["features"][0]
    column = Column(feature["inferred_type"])
    column.add(["2.0"] * 50 + ["two"] * 50)
    result = compare.compare_feature(feature, limits["features"][0], column, 100, compare.Thresholds.of(limits, 0.1))
    limits_datatype = compare.Thresholds.of({**limits, "monitoring_config": {"datatype_check_threshold": 0.1}})
    strict = compare.compare_feature(feature, limits["features"][0], column, 100, limits_datatype)
    assert "data_type_check" not in {v["constraint_check_type"] for v in result.violations}  # the file's 1.0
    assert "data_type_check" in {v["constraint_check_type"] for v in strict.violations}


def test_profile_and_model_code_agree_on_names_that_cross() -> None:
    assert profile.PREDICTION == evaluate.PREDICTION
    assert profile.MISSING == features.MISSING


def test_the_profiler_refuses_ragged_csv(tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("a,b\n1,2\n3\n")
    with pytest.raises(ValueError, match="row 3 has 1 fields, the header has 2"):
        profile.main(["--input", str(tmp_path / "rows.csv"), "--output", str(tmp_path / "out")])


def _ames(served: Served) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        json.loads((served.baseline_dir / "statistics.json").read_text()),
        json.loads((served.baseline_dir / "constraints.json").read_text()),
    )


def _feature(stats: dict[str, Any], limits: dict[str, Any], name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        next(f for f in stats["features"] if f["name"] == name),
        next(f for f in limits["features"] if f["name"] == name),
    )


@pytest.mark.parametrize(
    ("name", "cells"),
    [
        ("Neighborhood", ["Atlantis"]),  # a category never seen
        ("Neighborhood", ["Blueste"]),  # a category the baseline saw a handful of times
        ("area", ["a lot"]),  # a value of the wrong type
        ("Garage.Area", [None]),  # a missing value where the baseline had almost none
    ],
)
def test_one_odd_request_is_no_evidence_under_robust_but_is_under_simple(
    served: Served, name: str, cells: list[Any]
) -> None:
    stats, limits = _ames(served)
    feature, constraint = _feature(stats, limits, name)
    column = Column(feature["inferred_type"])
    column.add(cells)
    robust = compare.compare_feature(feature, constraint, column, 1, compare.Thresholds.of(limits, 0.1))
    simple_limits = json.loads(json.dumps(limits).replace('"Robust"', '"Simple"'))
    simple = compare.compare_feature(feature, constraint, column, 1, compare.Thresholds.of(simple_limits, 0.1))
    assert robust.violations == [] and simple.drifted


def test_a_feature_missing_from_many_requests_is_a_missing_column_but_not_from_one(served: Served) -> None:
    stats, limits = _ames(served)
    feature, constraint = _feature(stats, limits, "area")
    thresholds = compare.Thresholds.of(limits, 0.1)
    assert not compare.compare_feature(feature, constraint, None, 1, thresholds).drifted
    many = compare.compare_feature(feature, constraint, None, 50, thresholds)
    assert [v["constraint_check_type"] for v in many.violations] == ["missing_column_check"]


def test_a_listed_top_of_categories_compares_the_rest_with_the_rest() -> None:
    """A baseline that lists only its top categories (the rest counted, not named): a window of the same mix,
    with its own unlisted values, is no drift."""
    feature = {
        "name": "colour",
        "inferred_type": "String",
        "string_statistics": {
            "common": {"num_present": 1000, "num_missing": 0},
            "distinct_count": 40.0,
            "distribution": {"categorical": {"buckets": [{"value": "red", "count": 500}]}},
        },
    }
    column = Column("String")
    column.add(["red"] * 250 + [f"shade-{i % 30}" for i in range(250)])
    result = compare.compare_feature(feature, {}, column, 500, compare.Thresholds.of({}, 0.1))
    assert result.distance == pytest.approx(0.0) and not result.drifted
