"""One run of the drift job: a window of captured requests, compared with the served package's baseline.

A window is cut by each record's ``inferenceTime``, not by the hour its file was written: the job reads the files
of the window's hours and of one window after it, keeps the records inside the window, and counts each event id
once. Every scheduled run also re-runs the window before (whose late files have landed since) and overwrites its
report, so a record written late is still counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from drift_monitor import capture
from drift_monitor.compare import FeatureResult, Thresholds, compare
from drift_monitor.contract import (
    ENDPOINT_DIMENSION,
    FEATURE_DIMENSION,
    FEATURE_METRIC,
    LATEST_REPORT,
    REQUESTS_METRIC,
    VERDICT_METRIC,
    VIOLATIONS_METRIC,
)
from drift_monitor.profile import NUMERIC, PREDICTION, Column, statistics
from drift_monitor.settings import Settings

DRIFT, NO_DRIFT, NO_TRAFFIC, NO_BASELINE = "drift", "no-drift", "no-traffic", "no-baseline"
REPORT, SUMMARY = "report.json", "summary.md"


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @classmethod
    def ending(cls, moment: datetime, minutes: int) -> Window:
        """The last whole window before ``moment`` (hours, or days from midnight UTC)."""
        moment = moment.astimezone(UTC)
        size = timedelta(minutes=minutes)
        floor = moment.replace(minute=0, second=0, microsecond=0)
        if minutes >= 1440:
            floor = floor.replace(hour=0)
        return cls(floor - size, floor)

    def before(self) -> Window:
        return Window(self.start - (self.end - self.start), self.start)

    def hours(self, late: timedelta, now: datetime) -> list[datetime]:
        """The hours whose capture folders may hold this window's records."""
        last = min(self.end + late, now)
        hour, hours = self.start, []
        while hour < last:
            hours.append(hour)
            hour += timedelta(hours=1)
        return hours

    @property
    def label(self) -> str:
        return self.start.strftime("%Y/%m/%d/%H")

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass
class Tally:
    """What a window's records added up to, feature by feature, in constant memory per feature."""

    kinds: dict[str, str]
    columns: dict[str, Column] = field(default_factory=dict)
    records: int = 0
    rows: int = 0
    unreadable: int = 0
    duplicates: int = 0
    without_predictions: int = 0
    extra_columns: set[str] = field(default_factory=set)
    _seen: set[str] = field(default_factory=set)

    def column(self, name: str) -> Column:
        if name not in self.columns:
            self.columns[name] = Column(self.kinds.get(name))
        return self.columns[name]

    def add(self, batch: list[capture.Record]) -> None:
        """A file's records at once: one pass per column, not per cell."""
        by_header: dict[tuple[str, ...], list[list[Any]]] = {}  # requests with the same columns, together
        predictions: list[float] = []
        for record in batch:
            if record.event_id in self._seen:
                self.duplicates += 1
                continue
            self._seen.add(record.event_id)
            self.records += 1
            self.rows += record.rows
            if record.cells:
                by_header.setdefault(record.header, []).extend(record.cells)
            if record.predictions is None:
                self.without_predictions += record.rows
            else:
                predictions.extend(record.predictions)
        for header, rows in by_header.items():
            for name, values in zip(header, zip(*rows, strict=True), strict=True):
                if name in self.kinds:
                    self.column(name).add(values)
                else:
                    self.extra_columns.add(name)
        if PREDICTION in self.kinds and predictions:
            self.column(PREDICTION).add(predictions)

    def take(self, lines: Iterable[bytes | str], window: Window) -> None:
        """One capture file's lines: its records inside the window, at once."""
        batch = []
        for line in lines:
            if not line.strip():
                continue
            try:
                record = capture.parse(line)
            except capture.Unreadable:
                self.unreadable += 1
                continue
            if record.inference_time in window:
                batch.append(record)
        self.add(batch)

    def finish(self) -> dict[str, Column]:
        """Every house that did not carry a feature counts as missing it (predictions: every answered one)."""
        answered = self.rows - self.without_predictions
        for name, column in self.columns.items():
            column.missing = (answered if name == PREDICTION else self.rows) - column.present
        return self.columns


def read_json(s3: Any, uri: str) -> dict[str, Any]:
    parsed = urlparse(uri)
    body = s3.get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))["Body"].read()
    return json.loads(body)


def capture_keys(s3: Any, settings: Settings, window: Window, now: datetime) -> list[str]:
    keys: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    for hour in window.hours(window.end - window.start, now):
        prefix = f"{settings.capture_prefix}/{hour.strftime('%Y/%m/%d/%H')}/"
        for page in paginator.paginate(Bucket=settings.capture_bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []) if item["Key"].endswith(".jsonl"))
    return keys


def tally(s3: Any, settings: Settings, window: Window, kinds: dict[str, str], now: datetime) -> Tally:
    result = Tally(kinds)
    for key in capture_keys(s3, settings, window, now):
        result.take(s3.get_object(Bucket=settings.capture_bucket, Key=key)["Body"].iter_lines(), window)
    return result


@dataclass
class Outcome:
    window: Window
    verdict: str
    report: dict[str, Any]
    features: list[FeatureResult]


def assess(
    settings: Settings, window: Window, baseline: tuple[dict[str, Any], dict[str, Any]] | None, counted: Tally
) -> Outcome:
    # None named in config: every feature of the served package's baseline (found at run time, per package).
    named = set(settings.watched) or {f["name"] for f in (baseline[0].get("features", []) if baseline else [])}
    watched = named | {PREDICTION}
    report: dict[str, Any] = {
        "endpoint": settings.endpoint,
        "served_package": settings.served_package,
        "window": {"start": _iso(window.start), "end": _iso(window.end)},
        "baseline": {"statistics": settings.baseline_statistics, "constraints": settings.baseline_constraints},
        "records": counted.records,
        "rows": counted.rows,
        "unreadable_records": counted.unreadable,
        "duplicate_records": counted.duplicates,
        "rows_without_predictions": counted.without_predictions,
        "extra_columns": sorted(counted.extra_columns),
        "watched_features": sorted(watched),
    }
    if baseline is None:
        return Outcome(window, NO_BASELINE, {**report, "verdict": NO_BASELINE, "features": []}, [])
    if not counted.records:
        return Outcome(window, NO_TRAFFIC, {**report, "verdict": NO_TRAFFIC, "features": []}, [])
    stats, limits = baseline
    thresholds = Thresholds.of(limits, settings.threshold)
    columns = counted.finish()
    results = compare(stats, limits, columns, counted.rows, thresholds)
    if PREDICTION not in columns:  # no response could be read: reported as rows without predictions, not drift
        results = [r for r in results if r.name != PREDICTION]
    paging = [r.name for r in results if r.drifted and r.name in watched]
    verdict = DRIFT if paging else NO_DRIFT
    report.update(
        verdict=verdict,
        drifted_features=[r.name for r in results if r.drifted],
        paging_features=paging,
        thresholds={
            "distance": thresholds.comparison,
            "categorical_distance": thresholds.categorical_comparison,
            "datatype": thresholds.datatype,
            "domain_content": thresholds.domain_content,
            "method": "Robust" if thresholds.robust else "Simple",
        },
        statistics={"dataset": {"item_count": float(counted.rows)}},
        features=[r.as_dict() for r in results],
    )
    report["window_statistics"] = statistics(columns, counted.rows, stats)
    return Outcome(window, verdict, report, results)


def summary(outcome: Outcome) -> str:
    report = outcome.report
    lines = [
        f"# {report['endpoint']}: {outcome.verdict}",
        "",
        f"Window {report['window']['start']} to {report['window']['end']}: {report['records']} requests, "
        f"{report['rows']} houses ({report['unreadable_records']} unreadable, {report['duplicate_records']} "
        "duplicates).",
        f"Served package: {report['served_package'] or '(none)'}",
    ]
    if outcome.verdict == NO_TRAFFIC:
        lines += ["", "No requests in this window: nothing to compare, and nothing wrong."]
    elif outcome.verdict == NO_BASELINE:
        lines += ["", "The served package has no data-quality baseline: nothing to compare with."]
    drifted = [r for r in outcome.features if r.drifted]
    if drifted:
        lines += ["", "| feature | check | distance | PSI | p-value | what |", "|---|---|---|---|---|---|"]
        for result in drifted:
            for violation in result.violations:
                lines.append(
                    f"| {result.name} | {violation['constraint_check_type']} | {_fmt(result.distance)} | "
                    f"{_fmt(result.psi)} | {_fmt(result.p_value, 4)} | {violation['description']} |"
                )
    elif outcome.features:
        lines += ["", f"All {len(outcome.features)} features are within the baseline's constraints."]
    return "\n".join(lines) + "\n"


def _fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}g}" if value and value < 10**-digits else f"{value:.{digits}f}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def report_key(settings: Settings, window: Window, name: str) -> str:
    return f"{settings.report_prefix}/{window.label}/{name}"


LATEST, LATE, RERUN = "latest", "late", "rerun"
"""How a window is published: the scheduled run's newest window (report, latest.json, every metric); the window
before it, re-assessed for late files (report; metrics only if it now shows drift, so a late drift still pages
and nothing is counted twice); an operator's re-run (report only: the alarm and latest.json stay on the present)."""


def publish(s3: Any, cloudwatch: Any, settings: Settings, outcome: Outcome, now: datetime, how: str) -> None:
    """The report (JSON and a readable summary) under the window's folder, then the pointer and metrics."""
    extra: dict[str, str] = {"ServerSideEncryption": "aws:kms"}
    if settings.report_key:
        extra["SSEKMSKeyId"] = settings.report_key
    body = json.dumps(outcome.report, indent=2).encode()
    s3.put_object(
        Bucket=settings.report_bucket,
        Key=report_key(settings, outcome.window, REPORT),
        Body=body,
        ContentType="application/json",
        **extra,
    )
    s3.put_object(
        Bucket=settings.report_bucket,
        Key=report_key(settings, outcome.window, SUMMARY),
        Body=summary(outcome).encode(),
        ContentType="text/markdown",
        **extra,
    )
    if how == LATEST:
        pointer = {
            "verdict": outcome.verdict,
            "window": outcome.report["window"],
            "report": f"s3://{settings.report_bucket}/{report_key(settings, outcome.window, REPORT)}",
            "paging_features": outcome.report.get("paging_features", []),
            "served_package": settings.served_package,
        }
        s3.put_object(
            Bucket=settings.report_bucket,
            Key=f"{settings.report_prefix}/{LATEST_REPORT}",
            Body=json.dumps(pointer).encode(),
            ContentType="application/json",
            **extra,
        )
    if how == RERUN or (how == LATE and outcome.verdict != DRIFT):
        return
    endpoint = [{"Name": ENDPOINT_DIMENSION, "Value": settings.endpoint}]
    data: list[dict[str, Any]] = []
    if how == LATEST:
        data.append({"MetricName": REQUESTS_METRIC, "Dimensions": endpoint, "Value": float(outcome.report["records"])})
    if outcome.verdict in (DRIFT, NO_DRIFT):
        violations = sum(len(r.violations) for r in outcome.features)
        data += [
            {"MetricName": VERDICT_METRIC, "Dimensions": endpoint, "Value": 1.0 if outcome.verdict == DRIFT else 0.0},
            {"MetricName": VIOLATIONS_METRIC, "Dimensions": endpoint, "Value": float(violations)},
        ]
        watched = set(outcome.report["watched_features"])
        data += [
            {
                "MetricName": FEATURE_METRIC,
                "Dimensions": [*endpoint, {"Name": FEATURE_DIMENSION, "Value": r.name}],
                "Value": float(r.distance),
            }
            for r in outcome.features
            if r.name in watched and r.distance is not None
        ]
    for item in data:
        item["Timestamp"] = now  # the alarm judges the newest period: a verdict counts when it is known
    for start in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace=settings.namespace, MetricData=data[start : start + 1000])


class BaselineError(ValueError):
    """The served package's baseline is not Model Monitor's statistics and constraints: the run fails and pages."""


def _readable_feature(feature: Any) -> bool:
    if not isinstance(feature, dict) or "name" not in feature:
        return False
    section = feature.get("numerical_statistics" if feature.get("inferred_type") in NUMERIC else "string_statistics")
    return isinstance(section, dict) and isinstance(section.get("common"), dict)


def baseline_of(s3: Any, settings: Settings) -> tuple[dict[str, Any], dict[str, Any]] | None:
    if not (settings.baseline_statistics and settings.baseline_constraints):
        return None
    stats, limits = read_json(s3, settings.baseline_statistics), read_json(s3, settings.baseline_constraints)
    features = stats.get("features") if isinstance(stats, dict) else None
    if not isinstance(features, list) or not all(_readable_feature(f) for f in features):
        raise BaselineError(
            f"{settings.baseline_statistics}: expected statistics.json with a features list, each feature with its "
            "name, inferred_type and numerical_statistics or string_statistics (common counts included)"
        )
    if not isinstance(limits, dict) or not isinstance(limits.get("features", []), list):
        raise BaselineError(f"{settings.baseline_constraints}: expected constraints.json with a features list")
    return stats, limits


def run(
    s3: Any, cloudwatch: Any, settings: Settings, windows: list[Window], now: datetime, *, scheduled: bool = True
) -> list[Outcome]:
    """Each window in order. A scheduled run's last window is the newest (see :data:`LATEST`), the ones before it
    are re-assessed late; an operator's run rewrites reports only."""
    baseline = baseline_of(s3, settings)
    kinds = {f["name"]: f["inferred_type"] for f in baseline[0]["features"]} if baseline else {}
    outcomes = []
    for index, window in enumerate(windows):
        counted = tally(s3, settings, window, kinds, now) if baseline else Tally(kinds)
        outcome = assess(settings, window, baseline, counted)
        how = (LATEST if index == len(windows) - 1 else LATE) if scheduled else RERUN
        publish(s3, cloudwatch, settings, outcome, now, how)
        outcomes.append(outcome)
    return outcomes
