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


def test_sending_and_receiving_sides_per_stage(synth: Synth) -> None:
    functions = {s: len(synth.resources(f"roadway-{s}-promotion", "AWS::Lambda::Function")) for s in ACCOUNTS}
    assert functions == {"dev": 1, "test": 1, "prod": 0}
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
    rule = one(synth, stack, "AWS::Events::Rule")["Properties"]
    assert rule["EventPattern"] == {
        "detail": {"ModelApprovalStatus": ["Approved"], "ModelPackageGroupName": ["house-price"]},
        "detail-type": ["SageMaker Model Package State Change"],
        "source": ["aws.sagemaker"],
    }
    (target_spec,) = rule["Targets"]
    assert "DeadLetterConfig" in target_spec and target_spec["RetryPolicy"]["MaximumRetryAttempts"] == 4

    function = one(synth, stack, "AWS::Lambda::Function")["Properties"]
    assert function["Handler"] == "promote_model.handler.handler"
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
    policies = synth.resources("roadway-dev-promotion", "AWS::IAM::ManagedPolicy")
    (policy,) = policies.values()
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
    policies = synth.resources(f"roadway-{stage}-promotion", "AWS::IAM::ManagedPolicy")
    statements = {
        s["Sid"]: s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"] if "Sid" in s
    }
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
