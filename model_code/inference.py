"""Serving functions for the SageMaker scikit-learn container: model_fn, input_fn, predict_fn, output_fn.

A bad request raises :class:`BadRequest` with an HTTP status and one line naming what is wrong; it never
yields a price computed from a guess.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

try:
    from model_code import features
except ImportError:  # pragma: no cover - the container's layout
    import features  # type: ignore[no-redef]

CSV, JSON = "text/csv", "application/json"


class BadRequest(ValueError):
    """The client's fault: 400 for a malformed request, 415 for a content type we do not read."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def model_fn(model_dir: str) -> dict[str, Any]:
    return joblib.load(Path(model_dir) / "model.joblib")


def input_fn(body: str | bytes, content_type: str) -> pd.DataFrame:
    """One or many houses, columns by name (CSV with a header row, or JSON objects)."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    if not text or not text.strip():
        raise BadRequest("empty request body: send one or more houses")
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind == CSV:
        try:
            return pd.read_csv(io.StringIO(text))
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise BadRequest(f"unreadable CSV: {str(error).splitlines()[0]}") from None
    if kind == JSON:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise BadRequest(f"unreadable JSON: {error.msg} at line {error.lineno}") from None
        rows = data.get("instances", data) if isinstance(data, dict) and "instances" in data else data
        rows = [rows] if isinstance(rows, dict) else rows
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            raise BadRequest('expected a JSON object per house, a list of them, or {"instances": [...]}')
        return pd.DataFrame(rows)
    raise BadRequest(f"unsupported content type {content_type!r}: send {CSV} or {JSON}", status=415)


def _validate(frame: pd.DataFrame, model: dict[str, Any]) -> pd.DataFrame:
    missing = [c for c in model["inputs"] if c not in frame.columns]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise BadRequest(f"missing columns: {shown} (send every input column; an unknown value may be empty)")
    frame = frame[model["inputs"]].copy()
    for column in model["numeric_inputs"]:
        values = frame[column].replace("", np.nan)
        numbers = pd.to_numeric(values, errors="coerce")
        wrong = values.notna() & numbers.isna()
        if wrong.any():
            row = int(np.flatnonzero(wrong.to_numpy())[0])
            raise BadRequest(f"column {column} must be a number, row {row} has {values.iloc[row]!r}")
        frame[column] = numbers
    return frame


def predict_fn(frame: pd.DataFrame, model: dict[str, Any]) -> np.ndarray:
    checked = _validate(frame, model)
    return np.exp(model["pipeline"].predict(features.engineer(checked)))


def output_fn(prices: np.ndarray, accept: str) -> tuple[str, str]:
    kind = (accept or JSON).split(";")[0].strip().lower()
    rounded = [round(float(p), 2) for p in prices]
    if kind == CSV:
        return "\n".join(str(p) for p in rounded) + "\n", CSV
    if kind in (JSON, "*/*"):
        return json.dumps({"predictions": rounded}), JSON
    raise BadRequest(f"unsupported accept type {accept!r}: ask for {CSV} or {JSON}", status=415)
