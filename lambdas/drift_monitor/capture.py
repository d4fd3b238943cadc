"""SageMaker data-capture records: one JSON object per line, the request and the response of one invocation.

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "...",
                                       "encoding": "CSV"},
                     "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT", "data": "...",
                                        "encoding": "JSON"}},
     "eventMetadata": {"eventId": "...", "inferenceTime": "2026-11-26T10:15:02Z"}, "eventVersion": "0"}

``encoding`` is CSV or JSON for the content types the endpoint config names as such (the body as text), else
BASE64. Files lie under ``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/`` by the hour they were written, which
is not always the hour of their requests: a window is therefore cut by ``inferenceTime``.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CSV, JSON = "text/csv", "application/json"
EXPLAINED = "application/vnd.roadway.explained+json"
"""The endpoint's answer with explanations (model_code/inference.py EXPLAINED; a test holds them equal): its
``predictions`` are read as JSON's, its explanations are not the drift job's. The capture config does not list it
as JSON, so SageMaker captures it as BASE64."""


class Unreadable(ValueError):
    """A record the job cannot use; counted in the report, never fatal to the window."""


@dataclass(frozen=True)
class Record:
    event_id: str
    inference_time: datetime
    header: tuple[str, ...]
    cells: list[list[Any]]
    """The request's houses, one list of cells per house in the order of ``header``."""
    predictions: list[float] | None
    """One per house, or None when the response could not be read as that many numbers."""

    @property
    def rows(self) -> int:
        return len(self.cells)

    @property
    def houses(self) -> dict[str, list[Any]]:
        """Column by column (a window is tallied so, many records at once)."""
        columns = zip(*self.cells, strict=True) if self.cells else ([] for _ in self.header)
        return {name: list(values) for name, values in zip(self.header, columns, strict=True)}


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _body(part: dict[str, Any]) -> tuple[str, str]:
    """The body as text and its content type (without parameters)."""
    if not isinstance(part, dict):
        raise Unreadable("captured body is not an object")
    data, encoding = part.get("data"), str(part.get("encoding", "")).upper()
    kind = str(part.get("observedContentType") or "").split(";")[0].strip().lower()
    if not isinstance(data, str):
        raise Unreadable("no data")
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise Unreadable(f"undecodable BASE64 body: {error}") from None
    elif encoding not in ("CSV", "JSON"):
        raise Unreadable(f"unknown encoding {encoding!r}")
    return data, kind


def _csv_houses(text: str) -> tuple[tuple[str, ...], list[list[Any]]]:
    """A header row, then one row per house (the model's request format)."""
    try:
        header, *rows = [row for row in csv.reader(io.StringIO(text)) if row]
    except (csv.Error, ValueError) as error:
        raise Unreadable(f"unreadable CSV: {error}") from None
    if any(len(row) != len(header) for row in rows):
        raise Unreadable("a CSV row's length differs from its header's")
    return tuple(header), rows


def _json_houses(text: str) -> tuple[tuple[str, ...], list[list[Any]]]:
    """A JSON object per house, a list of them, or {"instances": [...]}."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise Unreadable(f"unreadable JSON: {error.msg}") from None
    rows = data["instances"] if isinstance(data, dict) and "instances" in data else data
    rows = [rows] if isinstance(rows, dict) else rows
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise Unreadable("JSON body is not one or more objects")
    names = tuple(dict.fromkeys(str(name) for row in rows for name in row))
    return names, [[row.get(n) for n in names] for row in rows]


def _predictions(text: str, kind: str) -> list[float]:
    if kind == CSV:
        cells = [row[0] for row in csv.reader(io.StringIO(text)) if row]
    elif kind not in (JSON, EXPLAINED):
        raise ValueError(f"response type {kind!r}")
    else:
        data = json.loads(text)
        cells = data.get("predictions") if isinstance(data, dict) else data
        if not isinstance(cells, list):
            raise ValueError("no predictions list")
    return [float(c) for c in cells]


def parse(line: str | bytes) -> Record:
    try:
        record = json.loads(line)
        captured, metadata = record["captureData"], record["eventMetadata"]
        event_id, moment = str(metadata["eventId"]), parse_time(str(metadata["inferenceTime"]))
        request = captured["endpointInput"]
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise Unreadable(f"not a capture record: {type(error).__name__} {error}") from None
    text, kind = _body(request)
    if kind == CSV:
        header, cells = _csv_houses(text)
    elif kind == JSON:
        header, cells = _json_houses(text)
    else:
        raise Unreadable(f"request content type {kind!r} is neither {CSV} nor {JSON}")
    predictions = None
    response = captured.get("endpointOutput")
    if isinstance(response, dict):
        try:
            out_text, out_kind = _body(response)
            predictions = _predictions(out_text, out_kind)
        except (Unreadable, ValueError, TypeError, json.JSONDecodeError, IndexError):
            predictions = None
    if predictions is not None and len(predictions) != len(cells):
        predictions = None  # an error response, or one that does not answer every house
    return Record(event_id, moment, header, cells, predictions)


def encode(
    request_body: str,
    predictions: list[float],
    *,
    event_id: str,
    inference_time: datetime,
    request_type: str = CSV,
    response_type: str = JSON,
    base64_request: bool = False,
    response_body: str | None = None,
) -> str:
    """One capture line as SageMaker writes it (the demo, tests and the bench make traffic with this).

    ``response_body``: the endpoint's answer as it was (else one is written from ``predictions``); a type the
    capture config does not list (:data:`EXPLAINED`) is captured as BASE64, as SageMaker does."""

    def part(body: str, kind: str, mode: str, as_base64: bool) -> dict[str, str]:
        if as_base64:
            return {
                "observedContentType": kind,
                "mode": mode,
                "data": base64.b64encode(body.encode()).decode(),
                "encoding": "BASE64",
            }
        return {"observedContentType": kind, "mode": mode, "data": body, "encoding": "CSV" if kind == CSV else "JSON"}

    if response_body is not None:
        response = response_body
    elif response_type == CSV:
        response = "\n".join(str(p) for p in predictions) + "\n"
    else:
        response = json.dumps({"predictions": predictions})
    return json.dumps(
        {
            "captureData": {
                "endpointInput": part(request_body, request_type, "INPUT", base64_request),
                "endpointOutput": part(response, response_type, "OUTPUT", response_type not in (CSV, JSON)),
            },
            "eventMetadata": {
                "eventId": event_id,
                "inferenceTime": inference_time.astimezone(UTC)
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
            },
            "eventVersion": "0",
        }
    )
