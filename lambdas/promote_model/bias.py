"""The bias and explanation evidence a gate judges: the package's registered reports, read as the gate reads them.

The pipeline's Governance step (model_code/governance.py) writes the bias report (``ModelMetrics.Bias.Report``)
with Roadway's ``roadway_group_errors`` section: per facet, a row per group of held-out sales with its count,
whether it is judged, its RMSE of log price and its mean signed residual. The gate does not take the report's own
summary: it computes its two figures from the rows (their definitions are in docs/mlops.md, "The gate"; a test
holds the report's summary to these):

- ``group_rmse_ratio``: per facet, the largest judged group's RMSE over the smallest's; the largest over facets;
- ``group_residual``: the largest absolute mean signed residual of any judged group.

The explainability report (``ModelMetrics.Explainability.Report``) is judged only for being there and readable.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # gate.py imports this module
    from promote_model.gate import Gate

SECTION = "roadway_group_errors"


@dataclass(frozen=True)
class Group:
    facet: str
    name: str
    rmse_log: float
    residual: float

    @property
    def valued(self) -> str:
        """Which way the model errs on this group's houses on average (the residual is predicted minus sold)."""
        return "too high" if self.residual > 0 else "too low"


@dataclass(frozen=True)
class Figures:
    """What a bias report shows, as the gate computes it."""

    min_group_size: int
    judged: dict[str, list[Group]] = field(default_factory=dict)
    """Per facet, its judged groups."""

    @property
    def ratio(self) -> tuple[float, Group, Group] | None:
        """The largest per-facet ratio, with its largest and smallest group; None without a facet of two groups."""
        best: tuple[float, Group, Group] | None = None
        for groups in self.judged.values():
            if len(groups) < 2:
                continue
            largest = max(groups, key=lambda g: g.rmse_log)
            smallest = min(groups, key=lambda g: g.rmse_log)
            value = largest.rmse_log / smallest.rmse_log if smallest.rmse_log > 0 else math.inf
            if best is None or value > best[0]:
                best = (value, largest, smallest)
        return best

    @property
    def residual(self) -> Group | None:
        """The judged group with the largest absolute mean signed residual."""
        groups = [g for each in self.judged.values() for g in each]
        return max(groups, key=lambda g: abs(g.residual)) if groups else None


def report_uri(package: dict[str, Any], kind: str) -> str | None:
    """``kind``: ``Bias`` or ``Explainability``; the S3 URI of that report, if the package registered one."""
    report = (((package.get("ModelMetrics") or {}).get(kind) or {}).get("Report")) or {}
    uri = report.get("S3Uri")
    return uri if isinstance(uri, str) else None


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def figures(report_bytes: bytes) -> Figures | None:
    """The figures of a bias report; None when it is not one Roadway's Governance step writes."""
    try:
        section = json.loads(report_bytes)[SECTION]
        size, facets = section["min_group_size"], section["facets"]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        return None
    if not isinstance(size, int) or isinstance(size, bool) or not isinstance(facets, dict):
        return None
    judged: dict[str, list[Group]] = {}
    for facet, rows in facets.items():
        if not isinstance(rows, list):
            return None
        judged[str(facet)] = []
        for row in rows:
            if not isinstance(row, dict) or row.get("judged") is not True:
                continue
            rmse, residual = _number(row.get("rmse_log")), _number(row.get("mean_residual_log"))
            if rmse is None or residual is None:
                return None  # a judged group without its figures: nothing to judge on
            judged[str(facet)].append(Group(str(facet), str(row.get("value_or_threshold")), rmse, residual))
    return Figures(size, judged)


def shap_summary(report_bytes: bytes) -> dict[str, float] | None:
    """An explainability report's global SHAP values (Clarify's layout), largest first; None when it has none or
    no expected value."""
    try:
        label = json.loads(report_bytes)["explanations"]["kernel_shap"]["label0"]
        values = {str(name): _number(value) for name, value in label["global_shap_values"].items()}
    except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
        return None
    if not values or any(v is None for v in values.values()) or _number(label.get("expected_value")) is None:
        return None
    return dict(sorted(((k, float(v or 0.0)) for k, v in values.items()), key=lambda item: -abs(item[1])))


def refusals(gate: Gate, found: Figures | None, has_report: bool, explanations: bool | None) -> list[str]:
    """Every reason ``gate`` refuses this evidence (``explanations``: None when the package has no explainability
    report, else whether it is readable)."""
    reasons: list[str] = []
    if gate.require_explanations and explanations is None:
        reasons.append(
            "no explainability report in the package's registered model metrics (ModelMetrics.Explainability); "
            "this stage's gate requires one"
        )
    elif gate.require_explanations and not explanations:
        reasons.append("the explainability report has no global SHAP values in Clarify's layout")
    if gate.max_group_rmse_ratio is None and gate.max_group_residual is None:
        return reasons
    if not has_report:
        return [
            *reasons,
            "no bias report in the package's registered model metrics (ModelMetrics.Bias); this "
            "stage's gate judges groups",
        ]
    if found is None:
        return [*reasons, f"the bias report has no {SECTION} section the gate can read"]
    missing = [facet for facet in gate.bias_facets if facet not in found.judged]
    if missing:
        reasons.append(
            f"the bias report has no facet {', '.join(missing)} (the gate judges {', '.join(gate.bias_facets)})"
        )
    if found.min_group_size > gate.min_group_size:
        reasons.append(
            f"the bias report pooled groups under {found.min_group_size} sales; the gate judges groups of "
            f"{gate.min_group_size} or more"
        )
    if missing or found.min_group_size > gate.min_group_size:
        return reasons
    if gate.max_group_rmse_ratio is not None:
        thin = [facet for facet in gate.bias_facets if len(found.judged[facet]) < 2]
        if thin:
            reasons.append(
                f"facet {', '.join(thin)} has fewer than two groups of {gate.min_group_size} or more held-out sales: "
                "max_group_rmse_ratio cannot be judged"
            )
        ratio = found.ratio
        if ratio is not None and ratio[0] > gate.max_group_rmse_ratio:
            value, largest, smallest = ratio
            reasons.append(
                f"group_rmse_ratio {value:.2f} is above max_group_rmse_ratio {gate.max_group_rmse_ratio:g}: "
                f"{largest.facet} group {largest.name}'s RMSE of log price {largest.rmse_log:.4f} over group "
                f"{smallest.name}'s {smallest.rmse_log:.4f}"
            )
    worst = found.residual
    if gate.max_group_residual is not None and worst is not None and abs(worst.residual) > gate.max_group_residual:
        reasons.append(
            f"group_residual {abs(worst.residual):.4f} is above max_group_residual {gate.max_group_residual:g}: "
            f"{worst.facet} group {worst.name} is valued {worst.valued} by {worst.residual:+.4f} in log price on "
            "average"
        )
    return reasons
