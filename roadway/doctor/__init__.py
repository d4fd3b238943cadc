"""`roadway doctor`: ask a stage's real account what no offline proof can answer, before and after its deploy.

Read-only unless a probe is named: each probe creates only temporary resources of its own and deletes them.
Every line is ``ok``, ``problem`` (with its fix) or ``cannot check`` (and why); the exit status is 0 only when no
line is a problem.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from roadway.config import StageName
from roadway.doctor import after, before
from roadway.doctor.findings import CANNOT, OK, PROBLEM, Clinic, Finding, examine
from roadway.doctor.probes import Probe, ProbeInterrupted
from roadway.road import Road

__all__ = ["CANNOT", "OK", "PROBLEM", "Finding", "ProbeInterrupted", "diagnose", "summary"]


def diagnose(
    road: Road,
    stages: Sequence[StageName],
    *,
    before_deploy: bool = True,
    after_deploy: bool = True,
    probes: Sequence[Probe] = (),
    wait: float = 60.0,
    tell: Callable[[str], None] = lambda line: None,
    confirm: Callable[[str], bool] = lambda question: False,
) -> list[Finding]:
    """Every check of each stage, in order: whose credentials first (the wrong account stops with one line), then
    what the account must have before a deploy, then what the deploy left, then the probes asked for. A probe is
    announced (``tell``) before it runs; one that notifies people runs only if ``confirm`` says yes."""
    found: list[Finding] = []
    for stage in stages:
        clinic = Clinic.at(road, stage)
        found += examine(clinic, before.caller)
        for check in (before.CHECKS if before_deploy else ()) + (after.CHECKS if after_deploy else ()):
            found += examine(clinic, check)
        for probe in probes:
            announced = probe.announce(clinic)
            tell(announced)
            if probe.notifies and not confirm(f"{announced}. Run it?"):
                found.append(
                    Finding(stage, f"probe {probe.name}", CANNOT, f"not run: {probe.notifies} (accept with --yes)")
                )
                continue
            try:
                found += probe(clinic, wait=wait)
            except ProbeInterrupted as interrupted:
                raise ProbeInterrupted([*found, *interrupted.found]) from None
    return found


def summary(found: Sequence[Finding]) -> str:
    counts = {verdict: sum(1 for f in found if f.verdict == verdict) for verdict in (OK, PROBLEM, CANNOT)}
    return f"{counts[OK]} ok, {counts[PROBLEM]} problem(s), {counts[CANNOT]} cannot check"
