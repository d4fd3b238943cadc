"""Promotion wiring: who sends (dev, test), who receives (test, prod), and how narrow the door is."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Synth

ACCOUNTS = {"dev": "111111111111", "test": "222222222222", "prod": "333333333333"}


def one(synth: Synth, stack: str, type_: str) -> dict[str, Any]:
    (resource,) = synth.resources(stack, type_).values()
    return resource


def by_source(synth: Synth, stack: str) -> dict[str, dict[str, Any]]:
    """The stack's rules by the event source they match (one rule per source here)."""
    rules = [r["Properties"] for r in synth.resources(stack, "AWS::Events::Rule").values()]
    found: dict[str, dict[str, Any]] = {}
    for rule in rules:
        (source,) = rule["EventPattern"]["source"]
        found.setdefault(source, rule)
    return found


def function_with(synth: Synth, stack: str, handler: str) -> dict[str, Any]:
    (function,) = [
        r["Properties"]
        for r in synth.resources(stack, "AWS::Lambda::Function").values()
        if r["Properties"]["Handler"] == handler
    ]
    return function


def statements_of(synth: Synth, stack: str) -> dict[str, dict[str, Any]]:
    policies = synth.resources(stack, "AWS::IAM::ManagedPolicy")
    return {
        s["Sid"]: s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"] if "Sid" in s
    }


def test_sending_and_receiving_sides_per_stage(synth: Synth) -> None:
    functions = {s: len(synth.resources(f"roadway-{s}-promotion", "AWS::Lambda::Function")) for s in ACCOUNTS}
    assert functions == {"dev": 2, "test": 2, "prod": 0}  # the promoter and its rollback recorder
    roles = {
        s: sorted(
            r["Properties"]["RoleName"]
            for r in synth.resources(f"roadway-{s}-promotion", "AWS::IAM::Role").values()
            if "RoleName" in r["Properties"]
        )
        for s in ACCOUNTS
    }
    assert roles == {
        "dev": ["roadway-dev-promoter"],
        "test": ["roadway-test-promoter", "roadway-test-promotion-target", "roadway-test-serving-deployer"],
        "prod": ["roadway-prod-promotion-target", "roadway-prod-serving-deployer"],
    }


@pytest.mark.parametrize(("stage", "target"), [("dev", "test"), ("test", "prod")])
def test_approval_in_this_group_starts_the_promoter(synth: Synth, stage: str, target: str) -> None:
    stack = f"roadway-{stage}-promotion"
    rule = by_source(synth, stack)["aws.sagemaker"]
    assert rule["EventPattern"] == {
        "account": [ACCOUNTS[stage]],  # approvals of this account's own registry only
        "detail": {
            "ModelApprovalStatus": ["Approved", "PendingManualApproval"],  # promote; seal
            "ModelPackageGroupName": ["house-price"],
        },
        "detail-type": ["SageMaker Model Package State Change"],
        "source": ["aws.sagemaker"],
    }
    (target_spec,) = rule["Targets"]
    assert "DeadLetterConfig" in target_spec and target_spec["RetryPolicy"]["MaximumRetryAttempts"] == 4

    function = function_with(synth, stack, "promote_model.handler.handler")
    assert function["ReservedConcurrentExecutions"] == 1
    assert function["Runtime"] == "python3.14" and function["Timeout"] == 900
    assert len(function["VpcConfig"]["SubnetIds"]) == 2
    assert "DeadLetterConfig" in function
    env = function["Environment"]["Variables"]
    assert env["TARGET_ROLE_ARN"] == f"arn:aws:iam::{ACCOUNTS[target]}:role/roadway-{target}-promotion-target"
    assert env["TARGET_STACK_NAME"] == f"roadway-{target}-serving"
    assert env["TARGET_DEPLOY_ROLE_ARN"] == f"arn:aws:iam::{ACCOUNTS[target]}:role/roadway-{target}-serving-deployer"
    assert env["TARGET_APPROVAL_STATUS"] == ("PendingManualApproval" if target == "test" else "Approved")
    assert (env["SOURCE_STAGE"], env["TARGET_STAGE"], env["MODEL_PACKAGE_GROUP_NAME"]) == (stage, target, "house-price")


@pytest.mark.parametrize("stage", ["dev", "test"])
def test_failures_are_kept_encrypted_and_page(synth: Synth, stage: str) -> None:
    stack = f"roadway-{stage}-promotion"
    queue = one(synth, stack, "AWS::SQS::Queue")
    assert queue["Properties"]["KmsMasterKeyId"] == {"Fn::ImportValue": f"roadway-{stage}-platform-ops-key-arn"}
    assert queue["DeletionPolicy"] == "Retain"
    alarms = [a["Properties"] for a in synth.resources(stack, "AWS::CloudWatch::Alarm").values()]
    assert sorted(a["MetricName"] for a in alarms) == ["ApproximateNumberOfMessagesVisible", "Errors"]
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Fn::ImportValue": f"roadway-{stage}-platform-alarm-topic-arn"}]


def test_promoter_may_only_read_its_packages_and_assume_the_next_role(synth: Synth) -> None:
    (policy,) = synth.resources("roadway-dev-promotion", "AWS::IAM::ManagedPolicy").values()
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert statements["AssumeNextStageRole"]["Resource"] == (
        "arn:aws:iam::222222222222:role/roadway-test-promotion-target"
    )
    assert statements["ReadApprovedPackages"]["Action"] == "sagemaker:DescribeModelPackage"
    assert not synth.resources("roadway-dev-promotion", "AWS::IAM::Policy"), "no inline policies"


@pytest.mark.parametrize(("stage", "previous"), [("test", "dev"), ("prod", "test")])
def test_target_role_trusts_only_the_previous_promoter(synth: Synth, stage: str, previous: str) -> None:
    roles = synth.resources(f"roadway-{stage}-promotion", "AWS::IAM::Role")
    (target,) = [r for r in roles.values() if r["Properties"].get("RoleName") == f"roadway-{stage}-promotion-target"]
    (statement,) = target["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert json.dumps(statement["Principal"]).endswith(f':iam::{ACCOUNTS[previous]}:root"]]}}}}')
    assert statement["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNTS[previous]}:role/roadway-{previous}-promoter"}
    }


@pytest.mark.parametrize("stage", ["test", "prod"])
def test_target_updates_the_serving_stack_only_through_its_deployer(synth: Synth, stage: str) -> None:
    statements = statements_of(synth, f"roadway-{stage}-promotion")
    update = statements["UpdateServingStackThroughItsRole"]
    assert update["Resource"] == f"arn:aws:cloudformation:eu-west-1:{ACCOUNTS[stage]}:stack/roadway-{stage}-serving/*"
    assert "cloudformation:RoleArn" in update["Condition"]["StringEquals"]
    copy = statements["CopyFromThePreviousStagesBuckets"]
    previous = {"test": "dev", "prod": "test"}[stage]
    assert copy["Condition"] == {"StringEquals": {"s3:ResourceAccount": ACCOUNTS[previous]}}
    assert all(a.startswith("s3:Get") for a in copy["Action"])
    deploy = statements["ServingResources"]
    assert f"arn:aws:sagemaker:eu-west-1:{ACCOUNTS[stage]}:endpoint/roadway-{stage}-house-price" in deploy["Resource"]
    assert not [s for s in statements.values() if any(a.endswith(":*") for a in _actions(s))]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


@pytest.mark.parametrize(("stage", "target"), [("dev", "test"), ("test", "prod")])
def test_the_ledger_is_encrypted_recoverable_and_kept(synth: Synth, stage: str, target: str) -> None:
    stack = f"roadway-{stage}-promotion"
    table = one(synth, stack, "AWS::DynamoDB::Table")
    properties = table["Properties"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["SSESpecification"] == {
        "KMSMasterKeyId": {"Fn::ImportValue": f"roadway-{stage}-platform-ops-key-arn"},
        "SSEEnabled": True,
        "SSEType": "KMS",
    }
    # The keys the Lambda writes (lambdas/promote_model/ledger.py).
    assert [k["AttributeName"] for k in properties["KeySchema"]] == ["source_arn", "entry"]
    (logical_id,) = synth.resources(stack, "AWS::DynamoDB::Table")
    env = function_with(synth, stack, "promote_model.handler.handler")["Environment"]["Variables"]
    assert env["LEDGER_TABLE_NAME"] == {"Ref": logical_id}
    assert env["ALARM_TOPIC_ARN"] == {"Fn::ImportValue": f"roadway-{stage}-platform-alarm-topic-arn"}
    outputs = synth.templates[stack]["Outputs"]
    assert outputs["LedgerTableName"]["Value"] == {"Ref": logical_id}


def test_gate_thresholds_come_from_the_target_stages_config(synth: Synth) -> None:
    gates = {
        stage: {
            k: v
            for k, v in function_with(synth, f"roadway-{stage}-promotion", "promote_model.handler.handler")[
                "Environment"
            ]["Variables"].items()
            if k.startswith("GATE_")
        }
        for stage in ("dev", "test")
    }
    assert gates == {
        "dev": {"GATE_RMSE_LOG_MAX": "0.125", "GATE_MAX_REGRESSION_PCT": ""},
        "test": {"GATE_RMSE_LOG_MAX": "0.12", "GATE_MAX_REGRESSION_PCT": "2.0"},
    }


@pytest.mark.parametrize("stage", ["dev", "test"])
def test_promoter_writes_only_its_ledger_and_its_topic(synth: Synth, stage: str) -> None:
    stack = f"roadway-{stage}-promotion"
    statements = statements_of(synth, stack)
    (logical_id,) = synth.resources(stack, "AWS::DynamoDB::Table")
    ledger = statements["KeepTheLedger"]
    assert sorted(ledger["Action"]) == ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"]
    assert ledger["Resource"] == {"Fn::GetAtt": [logical_id, "Arn"]}
    assert statements["TellTheAlarmTopic"] == {
        "Action": "sns:Publish",
        "Effect": "Allow",
        "Resource": {"Fn::ImportValue": f"roadway-{stage}-platform-alarm-topic-arn"},
        "Sid": "TellTheAlarmTopic",
    }
    assert not [s for s in statements.values() if any(a.endswith(":*") for a in _actions(s))]


def rollback_rules(synth: Synth, stack: str) -> dict[str, dict[str, Any]]:
    """The stack's CloudFormation-event rules: "recorder" (events from the next account) and "forwarder"."""
    rules = [r["Properties"] for r in synth.resources(stack, "AWS::Events::Rule").values()]
    cloudformation = [r for r in rules if r["EventPattern"]["source"] == ["aws.cloudformation"]]
    return {("recorder" if "account" in r["EventPattern"] else "forwarder"): r for r in cloudformation}


@pytest.mark.parametrize(("stage", "target"), [("dev", "test"), ("test", "prod")])
def test_rollbacks_of_the_next_serving_stack_reach_the_recorder(synth: Synth, stage: str, target: str) -> None:
    stack = f"roadway-{stage}-promotion"
    rule = rollback_rules(synth, stack)["recorder"]
    assert rule["EventPattern"] == {
        "account": [ACCOUNTS[target]],
        "detail": {
            "stack-id": [
                {"prefix": f"arn:aws:cloudformation:eu-west-1:{ACCOUNTS[target]}:stack/roadway-{target}-serving/"}
            ],
            "status-details": {"status": ["UPDATE_ROLLBACK_COMPLETE"]},
        },
        "detail-type": ["CloudFormation Stack Status Change"],
        "source": ["aws.cloudformation"],
    }
    recorder = function_with(synth, stack, "promote_model.rollback.handler")
    assert recorder["ReservedConcurrentExecutions"] == 1 and "DeadLetterConfig" in recorder
    (target_spec,) = rule["Targets"]
    functions = synth.resources(stack, "AWS::Lambda::Function")
    (recorder_id,) = [k for k, v in functions.items() if v["Properties"]["Handler"] == "promote_model.rollback.handler"]
    assert target_spec["Arn"] == {"Fn::GetAtt": [recorder_id, "Arn"]}
    (bus_policy,) = synth.resources(stack, "AWS::Events::EventBusPolicy").values()
    statement = bus_policy["Properties"]["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNTS[target]}:root"}
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == f"arn:aws:events:eu-west-1:{ACCOUNTS[stage]}:event-bus/default"


@pytest.mark.parametrize(("stage", "previous"), [("test", "dev"), ("prod", "test")])
def test_the_serving_account_forwards_its_rollbacks_to_the_previous_bus(
    synth: Synth, stage: str, previous: str
) -> None:
    stack = f"roadway-{stage}-promotion"
    rule = rollback_rules(synth, stack)["forwarder"]
    assert rule["EventPattern"]["detail"]["status-details"] == {"status": ["UPDATE_ROLLBACK_COMPLETE"]}
    assert f":{ACCOUNTS[stage]}:stack/roadway-{stage}-serving/" in json.dumps(rule["EventPattern"]["detail"])
    (target_spec,) = rule["Targets"]
    assert f":{ACCOUNTS[previous]}:event-bus/default" in json.dumps(target_spec["Arn"])
    forward = statements_of(synth, stack)["ForwardRollbacks"]
    assert forward["Action"] == "events:PutEvents"
    assert f":{ACCOUNTS[previous]}:event-bus/default" in json.dumps(forward["Resource"])
    assert not synth.resources(stack, "AWS::IAM::Policy"), "no inline policies"
