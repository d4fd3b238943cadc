"""Statistics and constraints of a dataset, in SageMaker Model Monitor's schema (statistics.json, constraints.json).

One baseline serves both engines: Model Monitor reads these files, and Roadway's drift job reads Model Monitor's.
The same accumulators profile a baseline (every value kept) and a window of captured requests (counted against the
baseline's buckets, so a day of traffic needs memory for its numbers only).

Runs in the drift Lambda and, as the pipeline's Baseline step, in the SageMaker scikit-learn container:
    python profile.py --input DIR_OR_CSV --output DIR
so it keeps to the image's Python (3.12, model_code/registration.py) and numpy's long-standing API.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from array import array
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

# The spellings of "unknown" in a CSV cell or a JSON string (model_code/features.py MISSING; a test holds them equal).
MISSING = frozenset({"", "NA", "N/A", "NaN", "nan", "NULL", "null", "None"})
# The model's output, profiled beside the inputs (model_code/evaluate.py PREDICTION; a test holds them equal).
PREDICTION = "prediction"
INTEGRAL, FRACTIONAL, STRING = "Integral", "Fractional", "String"
NUMERIC = (INTEGRAL, FRACTIONAL)
BUCKETS = 10
"""Numeric buckets per feature: deciles of the baseline (Model Monitor writes ten equal-width ones instead)."""
SKETCH_K, SKETCH_C = 2048, 0.64
DOMAIN_LIMIT = 100
"""A string feature with at most this many distinct values gets its domain written as a constraint."""
# Thresholds written into constraints.json (Model Monitor's documented defaults; the drift job reads them back).
DATATYPE_CHECK_THRESHOLD = 0.1
DOMAIN_CONTENT_THRESHOLD = 0.1
COMPARISON_THRESHOLD = 0.1


def cell_number(value: Any) -> float | None:
    """A cell as a number, or None when it is not one (text, or a number that is not finite)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def cell_text(value: Any) -> str:
    """A cell as the category it names: the numbers 20 and 20.0 and the text "20" are one category, "20" (the text
    "20.0" stays itself: baseline and window read text alike, so both see it so)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return isinstance(value, str) and value.strip() in MISSING


class Column:
    """One feature's cells: counts of missing ones, its numbers, and the texts that are no number.

    ``kind`` is the baseline's inferred type when profiling a window: numbers of a numeric feature are kept
    (and texts there are type violations); every cell of a string feature is a category. Without a kind (a
    baseline) both are kept and the type is inferred at the end.
    """

    def __init__(self, kind: str | None = None) -> None:
        self.kind = kind
        self.missing = 0
        self.numbers = array("d")
        self.texts: Counter[str] = Counter()
        self.number_texts: Counter[str] = Counter()  # baseline only: numbers spelled as categories

    def add(self, values: Iterable[Any]) -> None:
        """Cells of this feature, a baseline's or a window's. A baseline's type is not known yet: every number is
        kept both as a number and as the category it would name. In a window, every cell of a string feature is a
        category. A day of requests passes tens of millions of cells here: for text cells, is_missing,
        cell_number and cell_text are inlined."""
        texts, numbers, missing = self.texts, self.numbers, 0
        string = self.kind == STRING
        spelled = self.number_texts if self.kind is None else None  # a baseline's numbers as categories
        for value in values:
            if type(value) is str:
                text = value.strip()
                if text in MISSING:
                    missing += 1
                    continue
                if string:
                    texts[text] += 1
                    continue
                try:
                    number = float(text)
                except ValueError:
                    texts[text] += 1
                    continue
                if not math.isfinite(number):
                    texts[text] += 1
                    continue
            elif is_missing(value):
                missing += 1
                continue
            else:
                parsed = None if string else cell_number(value)
                if parsed is None:
                    texts[cell_text(value)] += 1
                    continue
                number, text = parsed, cell_text(value) if spelled is not None else ""
            numbers.append(number)
            if spelled is not None:
                spelled[text] += 1
        self.missing += missing

    @property
    def present(self) -> int:
        return len(self.numbers) + sum(self.texts.values()) if self.kind != STRING else sum(self.texts.values())

    def inferred_type(self) -> str:
        if self.kind is not None:
            return self.kind
        if self.texts or not self.numbers:
            return STRING
        values = np.frombuffer(self.numbers, dtype=float)
        return INTEGRAL if bool(np.all(values == np.floor(values))) else FRACTIONAL

    def categories(self) -> Counter[str]:
        """Every present cell as a category (a baseline's string feature counts its number-like cells too)."""
        return self.texts + self.number_texts if self.kind is None else Counter(self.texts)


def numeric_buckets(values: np.ndarray, buckets: int = BUCKETS) -> list[dict[str, float]]:
    """Deciles of the values as buckets (equal mass, so each carries evidence; ties merge buckets)."""
    edges = np.unique(np.quantile(values, np.linspace(0, 1, buckets + 1)))
    if len(edges) == 1:
        edges = np.array([edges[0], edges[0]])
    counts = bucket_counts(values, edges)[1:-1]
    return [
        {"lower_bound": float(lo), "upper_bound": float(hi), "count": float(n)}
        for lo, hi, n in zip(edges[:-1], edges[1:], counts, strict=True)
    ]


def bucket_edges(buckets: list[dict[str, Any]]) -> np.ndarray:
    return np.array([buckets[0]["lower_bound"]] + [b["upper_bound"] for b in buckets], dtype=float)


def bucket_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts below the first edge, in each bucket [lo, hi) (the last one closed), and above the last edge."""
    index = np.searchsorted(edges, values, side="right")
    index[values == edges[-1]] = len(edges) - 1
    return np.bincount(index, minlength=len(edges) + 1)


def _sketch(values: np.ndarray) -> dict[str, Any]:
    """A KLL sketch of the values: every value at level 0 up to k of them, else every 2^L-th at level L.

    Weight 2^L per item keeps its total within 2^L of the count; Roadway's comparison uses the buckets, the
    sketch is there so that Model Monitor can read the file.
    """
    ordered = np.sort(values)
    level = 0
    while len(ordered) > SKETCH_K:
        ordered = ordered[1::2]
        level += 1
    data: list[list[float]] = [[] for _ in range(level)] + [[float(v) for v in ordered]]
    return {"parameters": {"c": SKETCH_C, "k": float(SKETCH_K)}, "data": data}


def feature_statistics(name: str, column: Column, buckets: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One feature's entry of statistics.json; ``buckets`` (a baseline's) are reused for a window."""
    kind = column.inferred_type()
    if kind in NUMERIC:
        values = np.frombuffer(column.numbers, dtype=float) if len(column.numbers) else np.zeros(0)
        common = {"num_present": len(values), "num_missing": int(column.missing)}
        stats: dict[str, Any] = {"common": common}
        if len(values):
            if buckets:
                edges = bucket_edges(buckets)
                counts = bucket_counts(values, edges)
                kll = [dict(b, count=float(n)) for b, n in zip(buckets, counts[1:-1], strict=True)]
                kll[0]["count"] += float(counts[0])  # outside the baseline's range: counted at its ends
                kll[-1]["count"] += float(counts[-1])
            else:
                kll = numeric_buckets(values)
            stats.update(
                mean=float(values.mean()),
                sum=float(values.sum()),
                std_dev=float(values.std()),
                min=float(values.min()),
                max=float(values.max()),
                distribution={"kll": {"buckets": kll, "sketch": _sketch(values)}},
            )
        return {"name": name, "inferred_type": kind, "numerical_statistics": stats}
    categories = column.categories()
    present = sum(categories.values())
    return {
        "name": name,
        "inferred_type": STRING,
        "string_statistics": {
            "common": {"num_present": int(present), "num_missing": int(column.missing)},
            "distinct_count": float(len(categories)),
            "distribution": {
                "categorical": {"buckets": [{"value": v, "count": float(n)} for v, n in sorted(categories.items())]}
            },
        },
    }


def statistics(columns: dict[str, Column], items: int, baseline: dict[str, Any] | None = None) -> dict[str, Any]:
    """statistics.json of the columns; with a baseline's statistics, numbers are counted in its buckets."""
    buckets = {
        f["name"]: f["numerical_statistics"].get("distribution", {}).get("kll", {}).get("buckets")
        for f in (baseline or {}).get("features", [])
        if "numerical_statistics" in f
    }
    return {
        "version": 0.0,
        "dataset": {"item_count": float(items)},
        "features": [feature_statistics(name, column, buckets.get(name)) for name, column in columns.items()],
    }


def constraints(stats: dict[str, Any]) -> dict[str, Any]:
    """What every later window must satisfy, suggested from the baseline's statistics."""
    features = []
    for feature in stats["features"]:
        kind = feature["inferred_type"]
        section = feature["numerical_statistics" if kind in NUMERIC else "string_statistics"]
        common = section["common"]
        total = common["num_present"] + common["num_missing"]
        entry: dict[str, Any] = {
            "name": feature["name"],
            "inferred_type": kind,
            "completeness": float(common["num_present"] / total) if total else 0.0,
        }
        if kind in NUMERIC and "min" in section:
            entry["num_constraints"] = {"is_non_negative": bool(section["min"] >= 0)}
        if kind == STRING and section["distinct_count"] <= DOMAIN_LIMIT:
            buckets = section["distribution"]["categorical"]["buckets"]
            entry["string_constraints"] = {"domains": [b["value"] for b in buckets]}
        features.append(entry)
    return {
        "version": 0.0,
        "features": features,
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": DATATYPE_CHECK_THRESHOLD,
            "domain_content_threshold": DOMAIN_CONTENT_THRESHOLD,
            "distribution_constraints": {
                "perform_comparison": "Enabled",
                "comparison_threshold": COMPARISON_THRESHOLD,
                "comparison_method": "Robust",
                "categorical_comparison_threshold": COMPARISON_THRESHOLD,
                "categorical_drift_method": "LInfinity",
            },
        },
    }


def profile_rows(header: list[str], rows: Iterable[list[str]]) -> dict[str, Any]:
    """statistics.json of CSV rows (a header, then one list of cells per row)."""
    columns = {name: Column() for name in header}
    cells: list[list[str]] = [[] for _ in header]
    items = 0
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"row {items + 2} has {len(row)} fields, the header has {len(header)}")
        for index, value in enumerate(row):
            cells[index].append(value)
        items += 1
    for name, values in zip(header, cells, strict=True):
        columns[name].add(values)
    return statistics(columns, items)


def read_csv(location: Path) -> tuple[list[str], list[list[str]]]:
    files = sorted(location.glob("*.csv")) if location.is_dir() else [location]
    if not files:
        raise FileNotFoundError(f"no CSV file in {location}")
    header: list[str] = []
    rows: list[list[str]] = []
    for path in files:
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            first = next(reader)
            if header and first != header:
                raise ValueError(f"{path.name}: its header differs from the first file's")
            header = first
            rows.extend(row for row in reader if row)
    return header, rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Profile a CSV dataset into Model Monitor's baseline files.")
    parser.add_argument("--input", default="/opt/ml/processing/input")
    parser.add_argument("--output", default="/opt/ml/processing/output")
    args = parser.parse_args(argv)
    header, rows = read_csv(Path(args.input))
    stats = profile_rows(header, rows)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    (out / "statistics.json").write_text(json.dumps(stats, indent=2))
    (out / "constraints.json").write_text(json.dumps(constraints(stats), indent=2))
    print(json.dumps({"items": stats["dataset"]["item_count"], "features": len(stats["features"])}))
    return stats


if __name__ == "__main__":
    main(sys.argv[1:])
