"""The drift job's Lambda entry point.

Each run first reads its serving stack's parameters (what promotion set): with no package and baseline served it
does nothing. EventBridge's schedule sends ``{"time": ...}``: the job assesses the last whole window before that
moment and re-assesses the one before it (late files). ``{"window_start": "2026-11-26T10:00:00Z"}`` assesses that
one window again, for an operator who wants a report rewritten: it rewrites the report only, never latest.json or
metrics.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from drift_monitor.capture import parse_time
from drift_monitor.contract import SERVICE
from drift_monitor.job import Outcome, Window, run
from drift_monitor.settings import Settings

_settings: Settings | None = None
logger = Logger(service=SERVICE)


def windows_for(event: dict[str, Any], settings: Settings, now: datetime) -> list[Window]:
    """Which windows an event asks for; one clear error for anything else."""
    if not isinstance(event, dict):
        raise ValueError('event: expected an EventBridge scheduled event or {"window_start": ISO time}')
    try:
        if "window_start" in event:
            start = parse_time(str(event["window_start"]))
            window = Window.ending(start + timedelta(minutes=settings.window_minutes), settings.window_minutes)
            if window.start != start:
                raise ValueError(f"window_start: expected a window boundary, got {event['window_start']}")
            return [window]
        moment = parse_time(str(event["time"]))
    except KeyError:
        raise ValueError('event: expected "time" (a scheduled event) or "window_start"') from None
    except ValueError as error:
        if str(error).startswith("window_start"):
            raise
        raise ValueError(f"event: unreadable time ({error})") from None
    latest = Window.ending(min(moment, now), settings.window_minutes)
    return [latest.before(), latest]


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    global _settings
    logger.clear_state()  # no keys of the last event
    if isinstance(event, dict) and isinstance(event.get("id"), str):
        logger.set_correlation_id(event["id"])  # the schedule's event id: one run's lines read together
    if _settings is None:
        _settings = Settings.from_environment()
    now = datetime.now(UTC)
    windows = windows_for(event, _settings, now)
    scheduled = not (isinstance(event, dict) and "window_start" in event)
    logger.append_keys(endpoint=_settings.endpoint)
    served = _settings.serving(boto3.client("cloudformation"))
    if served is None:  # the schedule always runs; with nothing served it has nothing to do
        logger.info("nothing-served", stack=_settings.stack)
        return {"endpoint": _settings.endpoint, "served_package": "", "windows": []}
    outcomes = run(boto3.client("s3"), boto3.client("cloudwatch"), served, windows, now, scheduled=scheduled)
    for outcome in outcomes:
        verdict_line(outcome, served.served_package, scheduled)
    return {
        "endpoint": served.endpoint,
        "served_package": served.served_package,
        "windows": [
            {"start": o.report["window"]["start"], "verdict": o.verdict, "records": o.report["records"]}
            for o in outcomes
        ],
    }


def verdict_line(outcome: Outcome, package: str, scheduled: bool) -> None:
    """One line per window's verdict: what Logs Insights filters on when an alarm asks what drifted."""
    report = outcome.report
    logger.info(
        "window",
        verdict=outcome.verdict,
        window_start=report["window"]["start"],
        window_end=report["window"]["end"],
        records=report["records"],
        drifted=report.get("drifted_features", []),
        paging=report.get("paging_features", []),
        served_package=package,
        rerun=not scheduled,
    )
