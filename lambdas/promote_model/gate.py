"""The metric gate: what a package's registered metrics must show before it may enter the next stage.

The evidence is the model-metrics JSON that registration attached (``ModelMetrics.ModelQuality.Statistics``),
in SageMaker's ``regression_metrics`` layout. The gate reads ``rmse_log`` (RMSE of log price) and nothing else: a
package without it is refused by every gate (config/README.md), whatever its ``rmse`` says.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from promote_model.contract import Output

METRIC = "rmse_log"


class UnreadableGate(ValueError):
    """The serving stack's gate is missing or not what the stack writes: nothing is promoted on a guess."""


@dataclass(frozen=True)
class Gate:
    rmse_log_max: float | None = None
    max_regression_pct: float | None = None

    @classmethod
    def from_output(cls, text: str | None) -> Gate:
        """The gate as the serving stack's :data:`Output.GATE` states it; :class:`UnreadableGate` otherwise."""
        if text is None:
            raise UnreadableGate(f"no {Output.GATE} output")
        try:
            values = json.loads(text)
        except ValueError:
            raise UnreadableGate(f"{Output.GATE} is not JSON: {text[:80]!r}") from None
        if not isinstance(values, dict) or set(values) != {"rmse_log_max", "max_regression_pct"}:
            raise UnreadableGate(f"{Output.GATE} is {text[:80]!r}, expected rmse_log_max and max_regression_pct")
        for name, value in values.items():
            # NaN and Infinity parse as numbers but compare false with everything: they would open the gate.
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            ):
                raise UnreadableGate(f"{Output.GATE}.{name} is {value!r}, expected a finite number or null")
        rmse_log_max, max_regression_pct = values["rmse_log_max"], values["max_regression_pct"]
        if rmse_log_max is not None and rmse_log_max <= 0:
            raise UnreadableGate(f"{Output.GATE}.rmse_log_max is {rmse_log_max!r}, expected above 0")
        if max_regression_pct is not None and not 0 <= max_regression_pct <= 100:
            raise UnreadableGate(f"{Output.GATE}.max_regression_pct is {max_regression_pct!r}, expected 0 to 100")
        return cls(rmse_log_max, max_regression_pct)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    candidate: float | None
    served: float | None
    reasons: tuple[str, ...]
    gate: Gate = Gate()

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    def as_record(self) -> dict[str, str]:
        """The figures the decision was made on, the thresholds with them, so a refusal reads without its prose."""
        values = {
            "rmse_log": self.candidate,
            "served_rmse_log": self.served,
            "rmse_log_max": self.gate.rmse_log_max,
            "max_regression_pct": self.gate.max_regression_pct,
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


def judge(gate: Gate, candidate: float | None, served: float | None, *, serving: bool = False) -> Verdict:
    """Every threshold the candidate misses, each with metric, value and threshold.

    ``serving``: the stage serves a version now. With ``max_regression_pct`` set, that version's metric must be
    known: a comparison that cannot be made fails closed, it is not skipped.
    """
    if candidate is None:
        return Verdict(False, None, served, (f"no {METRIC} in the package's registered model metrics",), gate)
    reasons = []
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
    return Verdict(not reasons, candidate, served, tuple(reasons), gate)
