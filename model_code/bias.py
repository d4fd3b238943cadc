"""How the model's errors and answers differ between groups of houses: the bias report a package carries.

Per facet (a column of the training data, or bands of a numeric one) and per group of the held-out sales:

- **Roadway's group errors** (no Clarify name, so in a section of their own, ``roadway_group_errors``): the count,
  the RMSE of log price, and the mean signed residual ``log(predicted) - log(sold)`` (above 0: the model values
  that group's houses too high, below 0: too low). Groups with fewer sales than ``min_group_size`` are pooled into
  ``other`` and not judged: a handful of sales says nothing about a group, and a gate must not flap on them. Two
  summaries are what the promotion's gate reads: ``max_group_rmse_ratio`` (per facet, the largest judged group
  RMSE over the smallest; the largest over all facets) and ``max_group_residual`` (the largest absolute mean
  signed residual of any judged group).
- **The standard measures**, in the layout of SageMaker Clarify's ``analysis.json`` so that what reads Clarify
  reports reads these: pre-training class imbalance (CI) and difference in positive proportions in labels (DPL)
  of the held-out sales; post-training difference in positive proportions in predicted labels (DPPL) and disparate
  impact (DI). The price is a number, so "positive" is a price above the training split's median (the report's
  ``label_value_or_threshold``). As in Clarify, facet *d* is the group named and facet *a* every other sale.

pandas and numpy only: this runs in the pipeline's step, in the scikit-learn image.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

OTHER = "other"
MISSING = "missing"
SECTION = "roadway_group_errors"
RATIO, RESIDUAL = "max_group_rmse_ratio", "max_group_residual"
DEFAULT_MIN_GROUP_SIZE = 20


class BadFacet(ValueError):
    """A facet the data cannot be grouped by: the one line to print."""


@dataclass(frozen=True)
class Facet:
    """A column to group by; with ``edges``, a numeric column cut into bands ``[a, b)``."""

    column: str
    edges: tuple[float, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Facet:
        """``Neighborhood``, or ``Year.Built=1950,1980,2000`` for bands (how the pipeline's arguments spell it)."""
        column, _, cut = text.partition("=")
        if not column.strip():
            raise BadFacet(f"facet {text!r}: expected a column name, or NAME=EDGE,EDGE,... for bands")
        try:
            edges = tuple(float(e) for e in cut.split(",")) if cut else ()
            if not all(math.isfinite(e) for e in edges):
                raise ValueError("not finite")
        except ValueError:
            raise BadFacet(
                f"facet {text!r}: the band edges after '=' must be numbers, e.g. Year.Built=1950,1980"
            ) from None
        if list(edges) != sorted(set(edges)):
            raise BadFacet(f"facet {text!r}: the band edges must rise, each once")
        return cls(column.strip(), edges)

    @property
    def spelling(self) -> str:
        return self.column + ("=" + ",".join(f"{e:g}" for e in self.edges) if self.edges else "")

    def groups(self, rows: pd.DataFrame) -> np.ndarray:
        """Each sale's group, as text."""
        if self.column not in rows.columns:
            raise BadFacet(f"facet {self.column!r} is not a column of the training data")
        values = rows[self.column]
        if not self.edges:
            return np.array([MISSING if pd.isna(v) else _name(v) for v in values], dtype=object)
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().sum() < values.notna().sum():
            raise BadFacet(f"facet {self.spelling!r}: bands need a numeric column, {self.column} holds text")
        bounds = [-math.inf, *self.edges, math.inf]
        names = [_band(low, high) for low, high in itertools.pairwise(bounds)]
        where = np.searchsorted(np.asarray(self.edges), numbers.to_numpy(dtype=float), side="right")
        return np.array(
            [MISSING if math.isnan(n) else names[w] for n, w in zip(numbers, where, strict=True)], dtype=object
        )


def _name(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _band(low: float, high: float) -> str:
    if math.isinf(low):
        return f"< {high:g}"
    if math.isinf(high):
        return f">= {low:g}"
    return f"[{low:g}, {high:g})"


def report(
    facets: list[Facet],
    groups_of: dict[str, np.ndarray],
    sold: np.ndarray,
    predicted: np.ndarray,
    threshold: float,
    min_group_size: int,
    label: str = "price",
) -> dict[str, Any]:
    """The bias report of held-out sales: ``sold`` and ``predicted`` are prices; ``groups_of`` each facet's groups
    (:meth:`Facet.groups`); ``threshold`` the price above which an outcome is positive."""
    residual = np.log(predicted) - np.log(sold)
    positive, predicted_positive = sold > threshold, predicted > threshold
    pre: dict[str, list[dict[str, Any]]] = {}
    post: dict[str, list[dict[str, Any]]] = {}
    errors: dict[str, list[dict[str, Any]]] = {}
    for facet in facets:
        groups = groups_of[facet.spelling]
        judged, pooled = _split(groups, min_group_size)
        rows = []
        for value, members in [*((v, groups == v) for v in judged), *_pool(groups, pooled)]:
            named = value if value != OTHER else ",".join(pooled)
            pre.setdefault(facet.spelling, []).append({"value_or_threshold": named, "metrics": _pre(members, positive)})
            post.setdefault(facet.spelling, []).append(
                {"value_or_threshold": named, "metrics": _post(members, predicted_positive)}
            )
            rows.append(
                {
                    "value_or_threshold": value,
                    "count": int(members.sum()),
                    "judged": value != OTHER,
                    "rmse_log": float(np.sqrt(np.mean(residual[members] ** 2))),
                    "mean_residual_log": float(np.mean(residual[members])),
                    **({"pooled": pooled} if value == OTHER else {}),
                }
            )
        errors[facet.spelling] = rows
    labelled = {"label": label, "label_value_or_threshold": f"{threshold:g}"}
    return {
        "version": "1.0",
        "pre_training_bias_metrics": {**labelled, "facets": pre},
        "post_training_bias_metrics": {**labelled, "facets": post},
        SECTION: {
            "description": "Per group of held-out sales: count, RMSE of log price, mean of log(predicted) - "
            "log(sold) (above 0: valued too high). Groups under min_group_size are pooled into 'other', not judged.",
            "min_group_size": min_group_size,
            "held_out_rows": len(sold),
            "facets": errors,
            **summary(errors),
        },
    }


def summary(errors: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The two figures a gate reads, each with where it comes from; None when no facet has two judged groups."""
    ratio: dict[str, Any] | None = None
    worst: dict[str, Any] | None = None
    for facet, rows in errors.items():
        judged = [r for r in rows if r["judged"]]
        if len(judged) >= 2:
            largest = max(judged, key=lambda r: r["rmse_log"])
            smallest = min(judged, key=lambda r: r["rmse_log"])
            value = largest["rmse_log"] / smallest["rmse_log"] if smallest["rmse_log"] > 0 else math.inf
            if ratio is None or value > ratio["value"]:
                ratio = {
                    "value": value,
                    "facet": facet,
                    "largest": largest["value_or_threshold"],
                    "smallest": smallest["value_or_threshold"],
                }
        for row in judged:
            if worst is None or abs(row["mean_residual_log"]) > worst["value"]:
                worst = {"value": abs(row["mean_residual_log"]), "facet": facet, "group": row["value_or_threshold"]}
    return {RATIO: ratio, RESIDUAL: worst}


def _split(groups: np.ndarray, min_group_size: int) -> tuple[list[str], list[str]]:
    """Groups big enough to judge (largest first), and the rest (by name)."""
    counts = pd.Series(groups).value_counts(sort=False)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    judged = [str(v) for v, n in ordered if n >= min_group_size]
    pooled = sorted(str(v) for v, n in ordered if n < min_group_size)
    return judged, pooled


def _pool(groups: np.ndarray, pooled: list[str]) -> list[tuple[str, np.ndarray]]:
    return [(OTHER, np.isin(groups, pooled))] if pooled else []


def _metric(name: str, description: str, value: float) -> dict[str, Any]:
    # Clarify writes an infinite value as the string "Infinity" (JSON has no number for it).
    shown: Any = ("Infinity" if value > 0 else "-Infinity") if math.isinf(value) else float(value)
    return {"name": name, "description": description, "value": shown}


def _proportion(flags: np.ndarray) -> float:
    return float(flags.mean()) if len(flags) else 0.0


def _pre(members: np.ndarray, positive: np.ndarray) -> list[dict[str, Any]]:
    n_d, n_a = int(members.sum()), int((~members).sum())
    imbalance = (n_a - n_d) / (n_a + n_d)
    labels = _proportion(positive[~members]) - _proportion(positive[members])
    return [
        _metric("CI", "Class Imbalance (CI)", imbalance),
        _metric("DPL", "Difference in Positive Proportions in Labels (DPL)", labels),
    ]


def _post(members: np.ndarray, predicted_positive: np.ndarray) -> list[dict[str, Any]]:
    q_a, q_d = _proportion(predicted_positive[~members]), _proportion(predicted_positive[members])
    impact = q_d / q_a if q_a else (0.0 if q_d == 0 else math.inf)
    return [
        _metric("DI", "Disparate Impact (DI)", impact),
        _metric("DPPL", "Difference in Positive Proportions in Predicted Labels (DPPL)", q_a - q_d),
    ]
