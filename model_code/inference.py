"""Serving functions for the SageMaker scikit-learn container: model_fn, input_fn, predict_fn, output_fn.

A bad request raises :class:`BadRequest` with an HTTP status and one line naming what is wrong; it never
yields a price computed from a guess. Asked for :data:`EXPLAINED` (the ``Accept`` header), the answer carries, per
house, its price and the features that moved it most from the model's expected value (explain.py); the plain
types pay nothing for that: the explainer is built at the first such request.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

try:
    from model_code import features
    from model_code.explain import Explainer, NotExplainable, top
    from model_code.scoring import Scorer
except ImportError:  # pragma: no cover - the container's layout
    import features  # type: ignore[no-redef]
    from explain import Explainer, NotExplainable, top  # type: ignore[no-redef]
    from scoring import Scorer  # type: ignore[no-redef]

CSV, JSON = "text/csv", "application/json"
EXPLAINED = "application/vnd.roadway.explained+json"
"""The answer with explanations (registration.RESPONSE_TYPES lists it; the drift job reads its predictions)."""
TOP_CONTRIBUTIONS = 5


class BadRequest(ValueError):
    """The client's fault: 400 for a malformed request, 415 for a content type we do not read."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def model_fn(model_dir: str) -> dict[str, Any]:
    model = joblib.load(Path(model_dir) / "model.joblib")
    model["scorer"] = Scorer.of(model["pipeline"])  # read once at load, used for every request
    return model


def input_fn(body: str | bytes, content_type: str) -> features.Columns:
    """One or many houses, columns by name (CSV with a header row, or JSON objects)."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    if not text or not text.strip():
        raise BadRequest("empty request body: send one or more houses")
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind == CSV:
        return _read_csv(text)
    if kind == JSON:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise BadRequest(f"unreadable JSON: {error.msg} at line {error.lineno}") from None
        rows = data["instances"] if isinstance(data, dict) and "instances" in data else data
        rows = [rows] if isinstance(rows, dict) else rows
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            raise BadRequest('expected a JSON object per house, a list of them, or {"instances": [...]}')
        names = dict.fromkeys(name for row in rows for name in row)
        # JSON true/false become text, so that no column reads them as the numbers 1 and 0.
        cells = ([str(v).lower() if isinstance(v, bool) else v for v in (row.get(n) for n in names)] for row in rows)
        return {str(name): _array(list(values)) for name, values in zip(names, zip(*cells, strict=True), strict=True)}
    raise BadRequest(f"unsupported content type {content_type!r}: send {CSV} or {JSON}", status=415)


def _read_csv(text: str) -> features.Columns:
    """A few rows through the csv module (pandas' parser costs 2 ms to start), many through pandas' C parser.

    Both leave a column as text unless every cell is a number; the model's schema, checked next, decides what
    must be one. Both know "missing" by the same spellings as training.
    """
    if text.count("\n") > features.SMALL_BATCH + 1:
        try:
            frame = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=features.MISSING_SPELLINGS)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError) as error:
            raise BadRequest(f"unreadable CSV: {str(error).strip().splitlines()[0]}") from None
        return features.columns_of(frame)
    try:
        header, *rows = [row for row in csv.reader(io.StringIO(text)) if row]
    except csv.Error as error:
        raise BadRequest(f"unreadable CSV: {error}") from None
    if any(_looks_like_a_value(cell) for cell in header):
        raise BadRequest(
            "CSV's first line holds values, not column names: send a header row naming the columns "
            "(area,Overall.Qual,...), then one row per house"
        )
    if not rows:
        raise BadRequest("CSV has a header row but no houses: send the header, then one row per house")
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise BadRequest(f"unreadable CSV: line {number} has {len(row)} fields, the header has {len(header)}")
    missing = features.MISSING
    cells = zip(*([None if cell in missing else cell for cell in row] for row in rows), strict=True)
    return {name: _array(list(values)) for name, values in zip(header, cells, strict=True)}


def _looks_like_a_value(cell: str) -> bool:
    """No column is named like a number; a header row of numbers is a row of a house."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _array(values: list[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _validate(houses: features.Columns, model: dict[str, Any]) -> features.Columns:
    missing = [c for c in model["inputs"] if c not in houses]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise BadRequest(f"missing columns: {shown} (send every input column; an unknown value may be empty)")
    checked = {c: houses[c] for c in model["inputs"]}
    for column in model["numeric_inputs"]:
        values = checked[column]
        if values.dtype.kind not in "biuf":
            checked[column] = _numbers(column, values)
    empty = [
        f"{column} (house {int(np.flatnonzero(np.isnan(checked[column].astype(float)))[0]) + 1})"
        for column in model.get("required_inputs", ())  # a model trained before the list requires none
        if np.isnan(checked[column].astype(float)).any()
    ]
    if empty:
        shown = ", ".join(empty[:5]) + (f" and {len(empty) - 5} more" if len(empty) > 5 else "")
        raise BadRequest(f"required values missing: {shown}; the model was trained with every one of them")
    return checked


def _numbers(column: str, values: np.ndarray) -> np.ndarray:
    """Text or JSON values of a numeric column as floats: numpy converts the lot, or we find the bad cell."""
    try:
        return values.astype(float)  # None -> NaN; "12.5" -> 12.5
    except (TypeError, ValueError):
        pass
    return np.array([_number(column, row, v) for row, v in enumerate(values)], dtype=float)


def _number(column: str, row: int, value: Any) -> float:
    if value is None or (isinstance(value, str) and value.strip() in features.MISSING):
        return np.nan
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise BadRequest(f"column {column} must be a number, row {row} has {value!r}")


@dataclass(frozen=True)
class Priced:
    """What predict_fn answers: the prices, and what output_fn needs to explain them if the client asks."""

    prices: np.ndarray
    houses: features.Columns
    """The houses as the model saw them (engineered)."""
    model: dict[str, Any]


def predict_fn(houses: features.Columns, model: dict[str, Any]) -> Priced:
    engineered = features.engineer(_validate(houses, model))
    return Priced(np.exp(model["scorer"].predict(engineered)), engineered, model)


def output_fn(priced: Priced, accept: str) -> tuple[str, str]:
    kind = (accept or JSON).split(";")[0].strip().lower()
    rounded = [round(float(p), 2) for p in priced.prices]
    if kind == CSV:
        return "\n".join(str(p) for p in rounded) + "\n", CSV
    if kind in (JSON, "*/*"):
        return json.dumps({"predictions": rounded}), JSON
    if kind == EXPLAINED:
        return json.dumps({"predictions": rounded, "explanations": explanations(priced)}), EXPLAINED
    raise BadRequest(f"unsupported accept type {accept!r}: ask for {CSV}, {JSON} or {EXPLAINED}", status=406)


def explanations(priced: Priced) -> list[dict[str, Any]]:
    """Per house: the expected log price, the largest contributions (log-price units, each with the house's value
    of that feature) and the sum of the others; together they add up to the house's log price."""
    model = priced.model
    if "explainer" not in model:
        try:
            model["explainer"] = Explainer.of(model["scorer"], model.get("background"))
        except NotExplainable as error:
            raise BadRequest(f"no explanations from this model: {error}; ask for {JSON}", status=406) from None
    explainer: Explainer = model["explainer"]
    contributions = explainer.contributions(model["scorer"].matrix(priced.houses))
    answers = []
    for row, (price, each) in enumerate(zip(priced.prices, contributions, strict=True)):
        largest = top(explainer.names, each, TOP_CONTRIBUTIONS)
        answers.append(
            {
                "expected_value": explainer.expected,
                "log_prediction": float(np.log(price)),
                "top_contributions": [
                    {"feature": name, "value": _plain(priced.houses[name][row]), "contribution": value}
                    for name, value in largest
                ],
                "other_features": float(each.sum() - sum(value for _, value in largest)),
            }
        )
    return answers


def _plain(value: Any) -> Any:
    """A feature's value as JSON has it: a number, text, or null for missing."""
    if isinstance(value, (np.integer, np.floating, float, int)) and not isinstance(value, bool):
        number = float(value)
        return None if number != number else number
    return None if value is None else str(value)
