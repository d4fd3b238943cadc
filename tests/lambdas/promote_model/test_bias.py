"""The gate on the bias and explainability reports: read as sealed, refused with the group named, and never open
on a report that is missing, partial or pooled differently from what the stage asks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from promote_model import handler as handler_module
from promote_model.bias import Figures, figures, refusals
from promote_model.contract import Output
from promote_model.gate import Gate, UnreadableGate

from devtools.moto_accounts import approval_event
from devtools.moto_road import Evidence, bias_report
from devtools.synth import Synth
from roadway.config import RoadwayConfig
from roadway.naming import Names
from tests.lambdas.promote_model.helpers import assert_refused
from tests.moto_road import Road, open_road

handler = handler_module.handler
STRICT = {
    "rmse_log_max": 0.125,
    "max_regression_pct": None,
    "max_group_rmse_ratio": 1.3,
    "max_group_residual": 0.02,
    "require_explanations": True,
    "bias_facets": ["Neighborhood"],
    "min_group_size": 20,
}
WITHIN = {"Neighborhood": {"NAmes": (0.10, 0.01), "OldTown": (0.12, -0.015)}}


@pytest.fixture(scope="module")
def strict_synth(moto_synth: Synth, moto_config: RoadwayConfig) -> Synth:
    """The moto road whose test stage judges groups and asks for explanations (its serving stack's gate)."""
    templates = json.loads(json.dumps(moto_synth.templates))
    templates[Names.of(moto_config).stack_name("test", "serving")]["Outputs"][Output.GATE]["Value"] = json.dumps(STRICT)
    return Synth(moto_synth.outdir, templates, moto_synth.report)


@pytest.fixture()
def strict(moto_config: RoadwayConfig, strict_synth: Synth, monkeypatch: pytest.MonkeyPatch) -> Iterator[Road]:
    with open_road(moto_config, strict_synth, monkeypatch) as opened:
        yield opened


def to_test(road: Road, evidence: Evidence) -> dict[str, Any]:
    source = road.register("dev", evidence)
    road.act_as("test")
    return dict(handler(approval_event(source)))


def test_a_package_over_both_group_thresholds_is_refused_with_each_group_named(strict: Road) -> None:
    outcome = to_test(strict, Evidence.made())  # NAmes 0.10 and OldTown 0.14 (ratio 1.4); OldTown -0.03
    record = assert_refused(
        strict,
        outcome,
        "test",
        "group_rmse_ratio 1.40 is above max_group_rmse_ratio 1.3: Neighborhood group OldTown's RMSE of log price "
        "0.1400 over group NAmes's 0.1000",
    )
    assert (
        "group_residual 0.0300 is above max_group_residual 0.02: Neighborhood group OldTown is valued too low by "
        "-0.0300 in log price on average" in record["reason"]
    )
    assert record["metrics"]["group_rmse_ratio"] == "1.400000"
    assert record["metrics"]["max_group_rmse_ratio"] == "1.300000"
    assert record["metrics"]["group_residual"] == "0.030000"


def test_a_package_within_them_is_promoted_with_both_reports(strict: Road) -> None:
    outcome = to_test(strict, Evidence.made(groups=WITHIN))
    assert outcome["status"] == "promoted", outcome
    (record,) = [r for r in strict.ledger("test") if r["outcome"] == "promoted"]
    assert record["metrics"]["group_rmse_ratio"] == "1.200000"


@pytest.mark.parametrize(
    ("evidence", "reason"),
    [
        (Evidence.made(groups={}), "no bias report in the package's registered model metrics (ModelMetrics.Bias)"),
        (
            Evidence.made(groups=WITHIN, explained=False),
            "no explainability report in the package's registered model metrics (ModelMetrics.Explainability)",
        ),
    ],
    ids=["no-bias", "no-explanations"],
)
def test_a_package_without_the_evidence_its_gate_asks_for_is_refused(
    strict: Road, evidence: Evidence, reason: str
) -> None:
    assert_refused(strict, to_test(strict, evidence), "test", reason)


@pytest.mark.parametrize(
    ("report", "reason"),
    [
        (
            bias_report({"Bldg.Type": {"1Fam": (0.1, 0.0), "Duplex": (0.1, 0.0)}}),
            "the bias report has no facet Neighborhood (the gate judges Neighborhood)",
        ),
        (
            bias_report({"Neighborhood": {"NAmes": (0.1, 0.0)}}),
            "facet Neighborhood has fewer than two groups of 20 or more held-out sales",
        ),
        (bias_report(WITHIN, 40), "the bias report pooled groups under 40 sales; the gate judges groups of 20 or more"),
        (b'{"version": "1.0"}', "the bias report has no roadway_group_errors section the gate can read"),
    ],
    ids=["other-facet", "one-group", "pooled-more", "not-roadways"],
)
def test_evidence_the_gate_cannot_judge_is_refused_not_waved_through(report: bytes, reason: str) -> None:
    """What the promotion does with these (read the sealed report, refuse with every reason) is the first tests'."""
    reasons = refusals(Gate.from_output(json.dumps(STRICT)), figures(report), True, True)
    assert any(said.startswith(reason) for said in reasons), reasons


def test_a_kinder_bias_report_written_after_registration_is_refused_by_the_seal(strict: Road) -> None:
    """Whoever can write the evidence folder (the pipeline's job role) replaces the report with one the gate would
    pass: the promotion reads the sealed version, and the seal refuses the change."""
    source = strict.register("dev", Evidence.made())
    bucket = strict.buckets["dev"]
    key = f"{strict.model('house-price').evidence_prefix()}/run-1/governance/bias.json"
    strict.sessions["dev"].client("s3").put_object(Bucket=bucket, Key=key, Body=bias_report(WITHIN))
    strict.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "refused" and "bias.json" in outcome["reason"], outcome
    assert strict.packages("test") == []


def test_a_stage_that_does_not_judge_groups_reads_no_report(road: Road) -> None:
    """The shipped road's gate sets no group threshold: a package without the reports goes through."""
    outcome = to_test(road, Evidence.made(groups={}, explained=False))
    assert outcome["status"] == "promoted", outcome


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"max_group_rmse_ratio": 0.5}, "PromotionGate.max_group_rmse_ratio is 0.5, expected 1 to 100"),
        ({"max_group_residual": 0}, "PromotionGate.max_group_residual is 0, expected above 0, at most 1"),
        ({"max_group_residual": "0.1"}, "PromotionGate.max_group_residual is '0.1', expected a finite number"),
        ({"bias_facets": "Neighborhood"}, "PromotionGate.bias_facets is 'Neighborhood', expected a list"),
        ({"min_group_size": 0}, "PromotionGate.min_group_size is 0, expected a whole number above 0"),
        ({"require_explanations": "yes"}, "PromotionGate.require_explanations is 'yes', expected true or false"),
        ({"bias_facets": []}, "PromotionGate judges groups but names no bias_facets"),
        ({"max_gap": 1}, "expected rmse_log_max and max_regression_pct (and at most bias_facets"),
    ],
)
def test_a_bias_gate_the_stack_does_not_state_is_unreadable(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(UnreadableGate) as caught:
        Gate.from_output(json.dumps({**STRICT, **change}))
    assert reason in str(caught.value)


def test_a_stack_from_before_bias_gates_states_two_thresholds_and_judges_no_group() -> None:
    gate = Gate.from_output('{"rmse_log_max": 0.12, "max_regression_pct": 2}')
    assert gate == Gate(0.12, 2) and not gate.judges_evidence


def test_the_gate_computes_its_figures_from_the_groups_not_from_the_reports_summary() -> None:
    report = json.loads(bias_report(WITHIN))
    report["roadway_group_errors"]["max_group_rmse_ratio"] = {"value": 1.0}  # a summary that flatters
    report["roadway_group_errors"]["max_group_residual"] = {"value": 0.0}
    found = figures(json.dumps(report).encode())
    assert found is not None and found.ratio is not None
    assert found.ratio[0] == pytest.approx(1.2)
    gate = Gate.from_output(json.dumps({**STRICT, "max_group_rmse_ratio": 1.1}))
    assert any("group_rmse_ratio 1.20 is above" in r for r in refusals(gate, found, True, True))


def test_pooled_groups_are_never_judged() -> None:
    found = Figures(20, {})
    assert found.ratio is None and found.residual is None
    rows = {
        "Neighborhood": [{"value_or_threshold": "other", "judged": False, "rmse_log": 9.0, "mean_residual_log": 5.0}]
    }
    read = figures(json.dumps({"roadway_group_errors": {"min_group_size": 20, "facets": rows}}).encode())
    assert read == Figures(20, {"Neighborhood": []})
