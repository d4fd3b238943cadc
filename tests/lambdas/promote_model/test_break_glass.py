"""Break-glass: one named person withdraws what a stage serves when no approver is available — and every use is
in the ledger and on the alarm topic. Who may do it is proven from the templates
(tests/stacks/test_separation_of_duties.py); here, what the function does with the rejection (moto)."""

from __future__ import annotations

from typing import Any

from promote_model import handler as handler_module

from devtools.moto_accounts import approval_event, parameters_of, role_session
from devtools.patched.moto import record_identities
from tests.lambdas.promote_model.helpers import served
from tests.moto_road import Road

handler = handler_module.handler




def withdrawals(road: Road, stage: str) -> list[dict[str, Any]]:
    return [r for r in road.ledger(stage) if r["outcome"] == "break-glass"]


def test_break_glass_withdraws_the_served_version_back_to_the_one_before(road: Road) -> None:
    v1 = road.serve_in_prod("run-1")
    v2 = road.serve_in_prod("run-2")
    assert served(road, "prod") == v2
    alarms = road.listen("prod")
    road.reject("prod", v2)
    road.act_as("prod")
    outcome = handler(approval_event(v2, status="Rejected"))

    assert (outcome["status"], outcome["by"], outcome["served"]) == ("withdrawn", "lee-oncall", v1)
    assert served(road, "prod") == v1
    baseline = parameters_of(road.sessions["prod"], road.serving_stack("prod"))["BaselineStatisticsUri"]
    v1_package = road.sessions["prod"].client("sagemaker").describe_model_package(ModelPackageName=v1)
    assert baseline == v1_package["DriftCheckBaselines"]["ModelDataQuality"]["Statistics"]["S3Uri"]
    (record,) = withdrawals(road, "prod")
    assert (record["source_arn"], record["by"], record["served_before"], record["served_arn"]) == (
        v2,
        "lee-oncall",
        v2,
        v1,
    )
    (message,) = alarms()
    assert message["Subject"] == "Roadway: BREAK-GLASS in prod: v2 withdrawn"
    assert f"lee-oncall withdrew house-price v2 through {road.names.break_glass_role('prod')}" in message["Message"]


def test_withdrawing_the_only_served_version_takes_the_endpoint_down(road: Road) -> None:
    v1 = road.serve_in_prod("run-1")
    road.reject("prod", v1)
    road.act_as("prod")
    assert handler(approval_event(v1, status="Rejected"))["served"] == ""
    assert served(road, "prod") == ""


def test_a_version_withdrawn_once_is_not_served_again_by_a_later_withdrawal(road: Road) -> None:
    v1 = road.serve_in_prod("run-1")
    v2 = road.serve_in_prod("run-2")
    v3 = road.serve_in_prod("run-3")
    road.reject("prod", v2)  # not served: recorded, paged, nothing rolled
    road.act_as("prod")
    assert handler(approval_event(v2, status="Rejected"))["served"] == v3
    road.reject("prod", v3)
    road.act_as("prod")
    assert handler(approval_event(v3, status="Rejected"))["served"] == v1, "v2 was withdrawn: it is skipped"
    assert [r["source_arn"] for r in withdrawals(road, "prod")] == [v2, v3]


def test_a_rejection_outside_the_break_glass_role_changes_nothing(road: Road) -> None:
    v1 = road.serve_in_prod("run-1")
    alarms = road.listen("prod")
    road.reject("prod", v1, role="Admin", person="someone")
    road.act_as("prod")
    outcome = handler(approval_event(v1, status="Rejected"))
    assert outcome["status"] == "ignored"
    assert f"rejected outside {road.names.break_glass_role('prod')}" in outcome["reason"]
    assert served(road, "prod") == v1 and withdrawals(road, "prod") == [] and alarms() == []


def test_a_withdrawal_without_a_person_changes_nothing(road: Road) -> None:
    """The role's trust demands a source identity; a session without one (role chaining, a misconfigured trust)
    names nobody, and nobody is not an answer to "who pulled the emergency brake"."""
    v1 = road.serve_in_prod("run-1")
    sm = road.sessions["prod"].client("sagemaker")
    lineage = sm.describe_model_package(ModelPackageName=v1)["CustomerMetadataProperties"]
    sm.update_model_package(ModelPackageArn=v1, ModelApprovalStatus="Rejected", CustomerMetadataProperties=lineage)
    record_identities(v1, last_modified_by=role_session(road.accounts["prod"], road.names.break_glass_role("prod")))
    road.act_as("prod")
    assert handler(approval_event(v1, status="Rejected"))["status"] == "ignored"
    assert served(road, "prod") == v1


def test_a_redelivered_withdrawal_is_recorded_and_paged_once(road: Road) -> None:
    v1 = road.serve_in_prod("run-1")
    alarms = road.listen("prod")
    road.reject("prod", v1)
    road.act_as("prod")
    first, second = (handler(approval_event(v1, status="Rejected")) for _ in range(2))
    assert (first["status"], second["status"]) == ("withdrawn", "already-withdrawn")
    assert len(withdrawals(road, "prod")) == 1 and len(alarms()) == 1


def test_a_withdrawal_whose_rollout_failed_is_finished_by_the_retry(road: Road) -> None:
    """The stack was busy: the withdrawal fails at update-stack (and pages through the dead-letter queue); its
    record already says what was served, and the retry rolls back and pages."""
    import pytest
    from promote_model import break_glass
    from promote_model.errors import PromotionError

    v1 = road.serve_in_prod("run-1")
    v2 = road.serve_in_prod("run-2")
    alarms = road.listen("prod")
    road.reject("prod", v2)
    road.act_as("prod")

    def busy(*args: Any, **kwargs: Any) -> bool:
        raise PromotionError("update-stack", "ValidationError: stack is in UPDATE_IN_PROGRESS state")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(break_glass, "serve", busy)
        with pytest.raises(PromotionError, match="UPDATE_IN_PROGRESS"):
            handler(approval_event(v2, status="Rejected"))
    assert served(road, "prod") == v2 and alarms() == []
    outcome = handler(approval_event(v2, status="Rejected"))
    assert (outcome["status"], outcome["served"]) == ("withdrawn", v1) and served(road, "prod") == v1
    (record,) = withdrawals(road, "prod")
    assert (record["served_before"], record["served_arn"]) == (v2, v1)
    assert len(alarms()) == 1


def test_only_this_accounts_rejections_of_a_serving_stage_are_withdrawals(road: Road) -> None:
    in_dev = road.register("dev")
    road.reject("dev", in_dev, role=road.names.approver_role("dev"), person="maria-lopez")  # a decision in dev
    for stage in ("dev", "test", "prod"):
        road.act_as(stage)
        outcome = handler(approval_event(in_dev, status="Rejected"))
        assert outcome["status"] == "ignored" and "withdraws only what it serves" in outcome["reason"], stage
    assert all(withdrawals(road, s) == [] for s in ("test", "prod"))
