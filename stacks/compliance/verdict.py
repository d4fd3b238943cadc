"""The compliance gate's one verdict per synth, which synth's exit status, the provenance, the report and
``make deploy`` all read.

A synth passes when every rule pack ran and no finding of any pack is open (cdk-nag's, Roadway's, and CDK's own
CloudFormation checks, whose warnings CDK reports as a success), and no stack exceeds a CloudFormation or IAM limit.
Anything else fails it, with one line per reason. Imports nothing of the CDK.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacks.cloudformation_limits import Excess

VALIDATION_REPORT = "validation-report.json"
PASSED, FAILED = "passed", "failed"


@dataclass(frozen=True)
class Verdict:
    """``reasons`` are the lines a user reads: empty when the gate passed."""

    reasons: tuple[str, ...]
    open_findings: int

    @property
    def passed(self) -> bool:
        return not self.reasons

    @property
    def outcome(self) -> str:
        return PASSED if self.passed else FAILED

    def line(self) -> str:
        return "compliance gate passed" if self.passed else "compliance gate failed: " + "; ".join(self.reasons)

    def record(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "open_findings": self.open_findings, "reasons": list(self.reasons)}

    @classmethod
    def of_record(cls, provenance: dict[str, Any] | None) -> Verdict | None:
        """The verdict a provenance record holds; None when it holds none (not made by ``make synth``)."""
        recorded = (provenance or {}).get("compliance_gate")
        if not isinstance(recorded, dict):
            return None
        return cls(reasons=tuple(recorded["reasons"]), open_findings=int(recorded["open_findings"]))


def open_findings(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(pack, rule, construct path) of every open finding, whatever the pack concluded."""
    return [
        (plugin["pluginName"], item["ruleName"], construct["constructPath"])
        for plugin in report.get("pluginReports", [])
        for item in plugin.get("violations", [])
        for construct in item["violatingConstructs"]
    ]


def judge(report: dict[str, Any] | None, excesses: Iterable[Excess], fix: str = "") -> Verdict:
    """``report`` is CDK's validation report (None when no pack ran); ``fix`` ends the limits' reason."""
    reasons: list[str] = []
    found: list[tuple[str, str, str]] = []
    if report is None:
        reasons.append("no rule pack ran (the assembly has no validation report)")
    else:
        found = open_findings(report)
        if found:
            per_pack = Counter(pack for pack, _, _ in found)
            pack, rule, path = found[0]
            more = f" and {len(found) - 1} more" if len(found) > 1 else ""
            reasons.append(
                f"{len(found)} open finding{'s' if len(found) > 1 else ''} "
                f"({', '.join(f'{p}: {n}' for p, n in per_pack.items())}): {pack} {rule} on {path}{more}; "
                "fix each, or acknowledge it next to its resource with a reason"
            )
    excess = list(excesses)
    if excess:
        more = f" (and {len(excess) - 1} more)" if len(excess) > 1 else ""
        reasons.append(f"too big to deploy: {excess[0].line()}{more}" + (f"; {fix}" if fix else ""))
    return Verdict(reasons=tuple(reasons), open_findings=len(found))


def read_report(outdir: Path) -> dict[str, Any] | None:
    source = outdir / VALIDATION_REPORT
    return json.loads(source.read_text()) if source.exists() else None
