"""The metric gate: what a package's registered metrics must show before it may enter the next stage.

The evidence is the model-metrics JSON that registration attached (``ModelMetrics.ModelQuality.Statistics``),
in SageMaker's ``regression_metrics`` layout. The gate reads ``rmse_log`` (RMSE of log price) and nothing else: a
package without it is refused by every gate (config/README.md), whatever its ``rmse`` says. Where the stage's gate
judges groups or asks for explanations, the bias and explainability reports are judged too (bias.py).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from promote_model.bias import Figures
from promote_model.contract import Output

METRIC = "rmse_log"
_STATED = ("rmse_log_max", "max_regression_pct")
"""What every serving stack states; the rest came with bias gates, and a stack from before them leaves them out."""
_NUMBERS = {
    "rmse_log_max": "above 0",
    "max_regression_pct": "0 to 100",
    "max_group_rmse_ratio": "1 to 100",
    "max_group_residual": "above 0, at most 1",
}
_IN_RANGE = {
    "rmse_log_max": lambda v: v > 0,
    "max_regression_pct": lambda v: 0 <= v <= 100,
    "max_group_rmse_ratio": lambda v: 1 <= v <= 100,
    "max_group_residual": lambda v: 0 < v <= 1,
}


class UnreadableGate(ValueError):
    """The serving stack's gate is missing or not what the stack writes: nothing is promoted on a guess."""


@dataclass(frozen=True)
class Gate:
    rmse_log_max: float | None = None
    max_regression_pct: float | None = None
    max_group_rmse_ratio: float | None = None
    max_group_residual: float | None = None
    require_explanations: bool = False
    bias_facets: tuple[str, ...] = ()
    """The facets the project's bias report must have (config ``projects[].bias.facets``)."""
    min_group_size: int = 20
    """The report may pool no group of this many sales or more (config ``projects[].bias.min_group_size``)."""

    @classmethod
    def from_output(cls, text: str | None) -> Gate:
        """The gate as the serving stack's :data:`Output.GATE` states it; :class:`UnreadableGate` otherwise."""
        if text is None:
            raise UnreadableGate(f"no {Output.GATE} output")
        try:
            values = json.loads(text)
        except ValueError:
            raise UnreadableGate(f"{Output.GATE} is not JSON: {text[:80]!r}") from None
        known = {*_NUMBERS, "require_explanations", "bias_facets", "min_group_size"}
        if not isinstance(values, dict) or not set(_STATED) <= set(values) <= known:
            raise UnreadableGate(
                f"{Output.GATE} is {text[:80]!r}, expected rmse_log_max and max_regression_pct (and at most "
                f"{', '.join(sorted(known - set(_STATED)))})"
            )
        for name, expected in _NUMBERS.items():
            value = values.get(name)
            # NaN and Infinity parse as numbers but compare false with everything: they would open the gate.
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            ):
                raise UnreadableGate(f"{Output.GATE}.{name} is {value!r}, expected a finite number or null")
            if value is not None and not _IN_RANGE[name](value):
                raise UnreadableGate(f"{Output.GATE}.{name} is {value!r}, expected {expected}")
        facets, size = values.get("bias_facets", []), values.get("min_group_size", 20)
        explanations = values.get("require_explanations", False)
        if not isinstance(facets, list) or not all(isinstance(f, str) and f for f in facets):
            raise UnreadableGate(f"{Output.GATE}.bias_facets is {facets!r}, expected a list of column names")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise UnreadableGate(f"{Output.GATE}.min_group_size is {size!r}, expected a whole number above 0")
        if not isinstance(explanations, bool):
            raise UnreadableGate(f"{Output.GATE}.require_explanations is {explanations!r}, expected true or false")
        if (
            values.get("max_group_rmse_ratio") is not None or values.get("max_group_residual") is not None
        ) and not facets:
            raise UnreadableGate(f"{Output.GATE} judges groups but names no bias_facets")
        return cls(
            *(values.get(name) for name in _NUMBERS),
            require_explanations=explanations,
            bias_facets=tuple(facets),
            min_group_size=size,
        )

    @property
    def judges_evidence(self) -> bool:
        """Whether the bias or explainability reports are read at all."""
        return self.require_explanations or self.max_group_rmse_ratio is not None or self.max_group_residual is not None


@dataclass(frozen=True)
class Verdict:
    passed: bool
    candidate: float | None
    served: float | None
    reasons: tuple[str, ...]
    gate: Gate = Gate()
    bias: Figures | None = None

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    def as_record(self) -> dict[str, str]:
        """The figures the decision was made on, the thresholds with them, so a refusal reads without its prose."""
        ratio = self.bias.ratio if self.bias else None
        residual = self.bias.residual if self.bias else None
        values = {
            "rmse_log": self.candidate,
            "served_rmse_log": self.served,
            "rmse_log_max": self.gate.rmse_log_max,
            "max_regression_pct": self.gate.max_regression_pct,
            "group_rmse_ratio": ratio[0] if ratio else None,
            "max_group_rmse_ratio": self.gate.max_group_rmse_ratio,
            "group_residual": abs(residual.residual) if residual else None,
            "max_group_residual": self.gate.max_group_residual,
        }
        return {name: f"{value:.6f}" for name, value in values.items() if value is not None}


def statistics_uri(package: dict[str, Any]) -> str | None:
    statistics = ((package.get("ModelMetrics") or {}).get("ModelQuality") or {}).get("Statistics") or {}
    uri = statistics.get("S3Uri")
    return uri if isinstance(uri, str) else None


def rmse_log(report_bytes: bytes) -> float | None:
    """The metric from a model-metrics JSON document; None when it is absent or not a finite number."""
    try:
        report = json.loads(report_bytes)
    except (ValueError, UnicodeDecodeError):
        return None
    metrics = report.get("regression_metrics") if isinstance(report, dict) else None
    if not isinstance(metrics, dict):
        return None
    entry = metrics.get(METRIC)
    value = entry.get("value") if isinstance(entry, dict) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def judge(
    gate: Gate,
    candidate: float | None,
    served: float | None,
    *,
    serving: bool = False,
    evidence: tuple[str, ...] = (),
    bias: Figures | None = None,
) -> Verdict:
    """Every threshold the candidate misses, each with metric, value and threshold.

    ``serving``: the stage serves a version now. With ``max_regression_pct`` set, that version's metric must be
    known: a comparison that cannot be made fails closed, it is not skipped. ``evidence``: what the bias and
    explainability reports fall short of (bias.refusals), ``bias`` their figures, recorded with the verdict.
    """
    if candidate is None:
        reasons = (f"no {METRIC} in the package's registered model metrics", *evidence)
        return Verdict(False, None, served, reasons, gate, bias)
    reasons = list(evidence)
    if gate.max_regression_pct is not None and serving and served is None:
        reasons.append(
            f"the served version has no {METRIC} to compare with (max_regression_pct {gate.max_regression_pct:g})"
        )
    if gate.rmse_log_max is not None and candidate > gate.rmse_log_max:
        reasons.append(f"{METRIC} {candidate:.4f} is above rmse_log_max {gate.rmse_log_max:.4f}")
    if gate.max_regression_pct is not None and served is not None:
        allowed = served * (1 + gate.max_regression_pct / 100)
        if candidate > allowed:
            worse = (candidate / served - 1) * 100
            reasons.append(
                f"{METRIC} {candidate:.4f} is {worse:.1f}% worse than the served version's {served:.4f} "
                f"(max_regression_pct {gate.max_regression_pct:g})"
            )
    return Verdict(not reasons, candidate, served, tuple(reasons), gate, bias)
