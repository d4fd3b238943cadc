"""PromotionTarget, in the app: this account pulls the previous account's approvals, judges them by its own gate, and
updates its serving stacks only through their deployer roles; it grants the previous account PutEvents only."""

from __future__ import annotations

import json

import pytest
from promote_model.contract import Env, Output
from promote_model.gate import Gate
from promote_model.settings import Settings

from devtools.synth import Synth
from roadway.config import RoadwayConfig
from tests.stacks.promotion_wiring import (
    ACCOUNTS,
    PREVIOUS,
    actions_of,
    assert_queued_for_the_promoter,
    function_id,
    function_with,
    grants_to,
    rules,
    statements_of,
)


@pytest.mark.parametrize(("stage", "previous"), [("test", "dev"), ("prod", "test")])
def test_this_account_pulls_the_previous_accounts_approvals(synth: Synth, stage: str, previous: str) -> None:
    stack = f"roadway-{stage}-promotion"
    (rule,) = [r for r in rules(synth, stack) if r["EventPattern"].get("account") == [ACCOUNTS[previous]]]
    assert rule["EventPattern"]["detail"] == {
        "ModelApprovalStatus": ["Approved"],
        "ModelPackageGroupName": ["house-price"],
    }
    (target,) = rule["Targets"]
    assert_queued_for_the_promoter(synth, stack, target)
    (bus_policy,) = synth.resources(stack, "AWS::Events::EventBusPolicy").values()
    statement = bus_policy["Properties"]["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNTS[previous]}:root"}
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == f"arn:aws:events:eu-west-1:{ACCOUNTS[stage]}:event-bus/default"
    assert statement["Condition"] == {
        "StringEquals": {"events:source": "aws.sagemaker", "events:detail-type": "SageMaker Model Package State Change"}
    }
    assume = statements_of(synth, stack)["AssumeThePreviousStagesReader"]
    # Every project's reader there (one role per project: roadway-<stage>-<project>-reader).
    assert assume["Resource"] == f"arn:aws:iam::{ACCOUNTS[previous]}:role/roadway-{previous}-*-reader"


@pytest.mark.parametrize(("stage", "previous"), [("test", "dev"), ("prod", "test")])
def test_the_receiving_side_is_configured_with_its_own_stack_and_the_sources_names(
    synth: Synth, stage: str, previous: str
) -> None:
    env = function_with(synth, f"roadway-{stage}-promotion", "promote_model.handler.handler")["Environment"][
        "Variables"
    ]
    assert env[Env.SOURCE_STAGE] == previous and env[Env.SOURCE_ACCOUNT] == ACCOUNTS[previous]
    settings = Settings.from_env(env).for_group("house-price")  # what the function makes of it for one project
    assert settings.source is not None
    assert (
        settings.source.reader_role_arn
        == f"arn:aws:iam::{ACCOUNTS[previous]}:role/roadway-{previous}-house-price-reader"
    )
    assert env[Env.SOURCE_PROMOTION_STACK] == f"roadway-{previous}-promotion"
    assert json.loads(env[Env.PROJECTS]) == {"house-price": f"roadway-{stage}-serving"}
    assert settings.serving_stack == f"roadway-{stage}-serving"
    assert settings.deploy_role_arn == f"arn:aws:iam::{ACCOUNTS[stage]}:role/roadway-{stage}-serving-deployer"
    assert env[Env.ARRIVAL_STATUS] == ("PendingManualApproval" if stage == "test" else "Approved")
    assert env[Env.APPROVER_ROLE] == f"roadway-{previous}-approver"
    assert env[Env.REGISTRAR_ROLE] == f"roadway-{previous}-promoter"


@pytest.mark.parametrize("stage", ["test", "prod"])
def test_the_promoter_updates_its_own_serving_stack_only_through_its_deployer(synth: Synth, stage: str) -> None:
    statements = statements_of(synth, f"roadway-{stage}-promotion")
    update = statements["UpdateServingStacksThroughTheirRoles"]
    assert update["Resource"] == f"arn:aws:cloudformation:eu-west-1:{ACCOUNTS[stage]}:stack/roadway-{stage}-*serving/*"
    assert update["Condition"] == {
        "ArnLike": {"cloudformation:RoleArn": f"arn:aws:iam::{ACCOUNTS[stage]}:role/roadway-{stage}-*serving-deployer"}
    }
    copy = statements["CopyFromThePreviousStagesBuckets"]
    assert copy["Condition"] == {"StringEquals": {"s3:ResourceAccount": ACCOUNTS[PREVIOUS[stage]]}}
    assert all(a.startswith("s3:Get") for a in copy["Action"])
    deploy = statements["ServingResources"]
    assert f"arn:aws:sagemaker:eu-west-1:{ACCOUNTS[stage]}:endpoint/roadway-{stage}-house-price" in deploy["Resource"]
    assert not [s for s in statements.values() if any(a.endswith(":*") for a in actions_of(s))]
    assert not synth.resources(f"roadway-{stage}-promotion", "AWS::IAM::Policy"), "no inline policies"


def test_gate_thresholds_come_from_the_receiving_stages_config(synth: Synth, config: RoadwayConfig) -> None:
    """Each project's gate in each stage is its serving stack's output, as the config states it, and the function
    reads the same values from it (one spelling: the config's field names are the runtime's)."""
    for stage in ("test", "prod"):
        variables = function_with(synth, f"roadway-{stage}-promotion", "promote_model.handler.handler")["Environment"]
        assert not [k for k in variables["Variables"] if k.startswith("GATE_")], "no stage-wide gate any more"
        output = synth.templates[f"roadway-{stage}-serving"]["Outputs"][Output.GATE]["Value"]
        stated = config.projects[0].stages.test.promotion_gate if stage == "test" else None
        stated = stated or config.projects[0].stages.prod.promotion_gate
        bias = config.projects[0].bias
        assert Gate.from_output(output) == Gate(
            stated.rmse_log_max,
            stated.max_regression_pct,
            stated.max_group_rmse_ratio,
            stated.max_group_residual,
            stated.require_explanations,
            tuple(bias.facets),
            bias.min_group_size,
        )
    facets = ("Neighborhood", "Bldg.Type", "MS.Zoning")
    prod = Gate.from_output(synth.templates["roadway-prod-serving"]["Outputs"][Output.GATE]["Value"])
    assert prod == Gate(0.12, 2, bias_facets=facets)
    test = Gate.from_output(synth.templates["roadway-test-serving"]["Outputs"][Output.GATE]["Value"])
    assert test == Gate(0.125, bias_facets=facets)


@pytest.mark.parametrize("stage", ["test", "prod"])
def test_rollbacks_of_this_serving_stack_are_recorded_here(synth: Synth, stage: str) -> None:
    stack = f"roadway-{stage}-promotion"
    (rule,) = [r for r in rules(synth, stack) if r["EventPattern"]["source"] == ["aws.cloudformation"]]
    assert rule["EventPattern"] == {
        "account": [ACCOUNTS[stage]],
        "detail": {
            "stack-id": [{"prefix": f"arn:aws:cloudformation:eu-west-1:{ACCOUNTS[stage]}:stack/roadway-{stage}-"}],
            "status-details": {"status": ["UPDATE_ROLLBACK_COMPLETE"]},
        },
        "detail-type": ["CloudFormation Stack Status Change"],
        "source": ["aws.cloudformation"],
    }
    recorder = function_with(synth, stack, "promote_model.rollback.handler")
    assert "ReservedConcurrentExecutions" not in recorder, "new accounts (quota 10) refuse any reservation"
    assert "DeadLetterConfig" in recorder
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id(synth, stack, "promote_model.rollback.handler"), "Arn"]}
    assert "aws.cloudformation" not in json.dumps(synth.resources(stack, "AWS::Events::EventBusPolicy")), (
        "rollbacks no longer travel between accounts"
    )


@pytest.mark.parametrize(("stage", "previous"), [("test", "dev"), ("prod", "test")])
def test_a_receiver_grants_the_previous_account_only_putevents(synth: Synth, stage: str, previous: str) -> None:
    granted = grants_to(synth, stage, ACCOUNTS[previous])
    assert [set(actions_of(s)) for s in granted] == [{"events:PutEvents"}]
    (statement,) = granted
    assert statement["Condition"]["StringEquals"]["events:source"] == "aws.sagemaker"
    # And no role anywhere in the receiving account trusts the previous account.
    roles = [
        r
        for name, template in synth.templates.items()
        if name.startswith(f"roadway-{stage}-")
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Role"
    ]
    assert not [r for r in roles if ACCOUNTS[previous] in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])]
