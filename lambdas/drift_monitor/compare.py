"""A window of requests against the served package's baseline: Model Monitor's checks, and their evidence.

Per feature, with the thresholds of the baseline's constraints.json (``monitoring_config``):
- ``missing_column_check``: the requests never carry the feature.
- ``completeness_check``: the share of present values fell by more than the comparison threshold.
- ``data_type_check``: more than ``datatype_check_threshold`` of a numeric feature's values are no number.
- ``categorical_values_check``: more than ``domain_content_threshold`` of a string feature's values lie outside
  the baseline's domain.
- ``baseline_drift_check``: the distribution distance exceeds the comparison threshold. For a numeric feature it
  is the largest gap between the baseline's and the window's cumulative distribution, read at the baseline's
  bucket bounds (the Kolmogorov-Smirnov distance on buckets: 0.1 means a tenth of the requests moved across
  some bound); for a string feature, the largest gap between a category's share in the two (L-infinity).

``comparison_method: Robust`` (what Roadway's profiler writes) also asks for evidence: a check on a distance or
a share fires only when the difference is significant at ``ALPHA``, so a quiet hour of a few requests does not
page anyone. Numbers: the two-sample Kolmogorov-Smirnov test on the bucketed distance (scipy's limiting
distribution; a bucketed distance never exceeds the exact one, so the test errs towards quiet). Categories: the
chi-squared test of the two histograms, thin cells pooled (Cochran's rule). Shares (missing values, values of
the wrong type, unseen categories): the one-sided binomial test that the share exceeds its threshold (for
completeness, the baseline's missing share plus the comparison threshold). ``Simple`` takes the share or
distance alone. The population stability index is reported beside the distance for those who read PSI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

from drift_monitor.profile import NUMERIC, STRING, Column, bucket_counts, bucket_edges

ALPHA = 0.001
"""Significance a Robust check needs: one false page in a thousand quiet windows per check."""
_PSI_FLOOR = 1e-4  # an empty bucket's share, so that PSI stays finite


@dataclass
class FeatureResult:
    name: str
    kind: str
    present: int
    missing: int
    distance: float | None = None
    psi: float | None = None
    p_value: float | None = None
    violations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return bool(self.violations)

    def as_dict(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 6)

        return {
            "name": self.name,
            "inferred_type": self.kind,
            "present": self.present,
            "missing": self.missing,
            "distance": rounded(self.distance),
            "psi": rounded(self.psi),
            "p_value": rounded(self.p_value),
            "violations": self.violations,
        }


@dataclass(frozen=True)
class Thresholds:
    comparison: float
    categorical_comparison: float
    datatype: float
    domain_content: float
    robust: bool

    @classmethod
    def of(cls, constraints: dict[str, Any], comparison: float | None = None) -> Thresholds:
        """The baseline's thresholds; ``comparison`` (the stage's config) overrides its distance threshold."""
        config = constraints.get("monitoring_config") or {}
        distribution = config.get("distribution_constraints") or {}
        base = float(comparison if comparison is not None else distribution.get("comparison_threshold", 0.1))
        categorical = distribution.get("categorical_comparison_threshold")
        return cls(
            comparison=base,
            categorical_comparison=base if comparison is not None or categorical is None else float(categorical),
            datatype=float(config.get("datatype_check_threshold", 0.1)),
            domain_content=float(config.get("domain_content_threshold", 0.1)),
            robust=str(distribution.get("comparison_method", "Robust")).lower() != "simple",
        )


def _violation(check: str, description: str) -> dict[str, Any]:
    return {"constraint_check_type": check, "description": description}


def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    p = np.maximum(expected / expected.sum(), _PSI_FLOOR)
    q = np.maximum(actual / actual.sum(), _PSI_FLOOR)
    return float(np.sum((q - p) * np.log(q / p)))


def _ks_p_value(distance: float, expected: np.ndarray, actual: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov test of a CDF distance between samples of these sizes."""
    n, m = float(expected.sum()), float(actual.sum())
    return float(scipy_stats.kstwobign.sf(distance * math.sqrt(n * m / (n + m))))


_MIN_EXPECTED = 5.0
"""Cochran's rule: the chi-squared approximation needs at least this many expected in each cell."""


def _chi2_p_value(expected: np.ndarray, actual: np.ndarray) -> float:
    """Chi-squared test that both histograms come from one distribution.

    Cells whose expected count (in either row) is under five are pooled into one, as the approximation demands:
    a window of a handful of requests pools into a single cell and proves nothing, whatever it holds.
    """
    table = np.vstack([expected, actual])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or actual.sum() == 0 or expected.sum() == 0:
        return 1.0
    rows, columns, total = table.sum(axis=1), table.sum(axis=0), table.sum()
    small = (np.outer(rows, columns) / total).min(axis=0) < _MIN_EXPECTED
    if small.any():
        table = np.column_stack([table[:, ~small], table[:, small].sum(axis=1)])
        rows, columns, total = table.sum(axis=1), table.sum(axis=0), table.sum()
        if (np.outer(rows, columns) / total).min() < _MIN_EXPECTED:  # the pooled cell is still too thin
            return 1.0
    if table.shape[1] < 2:
        return 1.0
    return float(scipy_stats.chi2_contingency(table, correction=False).pvalue)


def _share_p_value(count: int, total: int, limit: float) -> float:
    """One-sided binomial test that more than ``limit`` of the values are so (not just this window's luck)."""
    if limit >= 1:
        return 1.0
    return float(scipy_stats.binomtest(count, total, limit, alternative="greater").pvalue)


def _linf_cdf(expected: np.ndarray, actual: np.ndarray) -> float:
    return float(np.max(np.abs(np.cumsum(expected / expected.sum()) - np.cumsum(actual / actual.sum()))))


def _numeric(baseline: dict[str, Any], column: Column) -> tuple[np.ndarray, np.ndarray]:
    numbers = np.frombuffer(column.numbers, dtype=float) if len(column.numbers) else np.zeros(0)
    buckets = baseline["numerical_statistics"].get("distribution", {}).get("kll", {}).get("buckets") or []
    if not buckets or not len(numbers):
        return np.zeros(0), np.zeros(0)
    edges = bucket_edges(buckets)
    expected = np.array([0.0] + [float(b["count"]) for b in buckets] + [0.0])
    return expected, bucket_counts(numbers, edges).astype(float)


def _categorical(baseline: dict[str, Any], column: Column) -> tuple[np.ndarray, np.ndarray]:
    section = baseline["string_statistics"]
    buckets = section.get("distribution", {}).get("categorical", {}).get("buckets") or []
    known = {str(b["value"]): float(b["count"]) for b in buckets}
    rest = float(section["common"]["num_present"]) - sum(known.values())  # values a top-N list left out
    seen = column.texts
    if rest > 0:  # the baseline counted values it did not list: the window's unlisted ones are compared with them
        names = sorted(known)
        unlisted = float(sum(n for value, n in seen.items() if value not in known))
        return np.array([known[n] for n in names] + [rest]), np.array(
            [float(seen.get(n, 0)) for n in names] + [unlisted]
        )
    names = sorted(set(known) | set(seen))
    return np.array([known.get(n, 0.0) for n in names]), np.array([float(seen.get(n, 0)) for n in names])


def compare_feature(
    baseline: dict[str, Any], constraint: dict[str, Any], column: Column | None, items: int, limits: Thresholds
) -> FeatureResult:
    name, kind = baseline["name"], baseline["inferred_type"]
    base_missing = 1 - float(constraint.get("completeness", 1.0))
    # Every share check asks, under Robust, whether the share is significantly above what it may be.

    def exceeds(count: int, total: int, limit: float) -> bool:
        return count / total > limit and (not limits.robust or _share_p_value(count, total, limit) < ALPHA)

    if column is None:
        result = FeatureResult(name, kind, 0, items)
        if items and exceeds(items, items, min(1.0, base_missing + limits.comparison)):
            result.violations.append(_violation("missing_column_check", f"no request carried {name}"))
        return result
    present = len(column.numbers) + sum(column.texts.values()) if kind in NUMERIC else sum(column.texts.values())
    result = FeatureResult(name, kind, present, column.missing)
    total = present + column.missing
    if not total:
        return result

    if exceeds(column.missing, total, min(1.0, base_missing + limits.comparison)):
        result.violations.append(
            _violation(
                "completeness_check",
                f"{present / total:.1%} of requests carry {name}, {1 - base_missing:.1%} of the baseline did",
            )
        )

    if kind in NUMERIC:
        wrong = sum(column.texts.values())
        if present and exceeds(wrong, present, limits.datatype):
            result.violations.append(
                _violation("data_type_check", f"{wrong / present:.1%} of {name}'s values are no number")
            )
        expected, actual = _numeric(baseline, column)
        threshold = limits.comparison
    elif kind == STRING:
        expected, actual = _categorical(baseline, column)
        domain = (constraint.get("string_constraints") or {}).get("domains")
        if domain is not None and present:
            allowed = set(domain)
            outside = sum(n for value, n in column.texts.items() if value not in allowed)
            if exceeds(outside, present, limits.domain_content):
                result.violations.append(
                    _violation(
                        "categorical_values_check",
                        f"{outside / present:.1%} of {name}'s values were never seen in the baseline",
                    )
                )
        threshold = limits.categorical_comparison
    else:
        return result

    if len(actual) and actual.sum() > 0 and expected.sum() > 0:
        if kind in NUMERIC:
            result.distance = _linf_cdf(expected, actual)
            result.p_value = _ks_p_value(result.distance, expected, actual)
        else:
            result.distance = float(np.max(np.abs(expected / expected.sum() - actual / actual.sum())))
            result.p_value = _chi2_p_value(expected, actual)
        result.psi = _psi(expected, actual)
        if result.distance > threshold and (not limits.robust or result.p_value < ALPHA):
            result.violations.append(
                _violation(
                    "baseline_drift_check",
                    f"{name}: distance {result.distance:.3f} from the baseline exceeds {threshold}",
                )
            )
    return result


def compare(
    statistics: dict[str, Any],
    constraints: dict[str, Any],
    columns: dict[str, Column],
    items: int,
    limits: Thresholds,
) -> list[FeatureResult]:
    """Every feature of the baseline, in its order."""
    by_name = {c["name"]: c for c in constraints.get("features", [])}
    return [
        compare_feature(feature, by_name.get(feature["name"], {}), columns.get(feature["name"]), items, limits)
        for feature in statistics["features"]
    ]
