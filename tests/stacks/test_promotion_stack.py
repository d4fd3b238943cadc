"""Promotion wiring: every stage seals what it registers, announces approvals (dev, test), pulls them (test, prod),
and no account is given a right to write another's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from promote_model.contract import Env, Output
from promote_model.gate import Gate
from promote_model.settings import Settings

from devtools.synth import Synth
from roadway.config import RoadwayConfig
from roadway.naming import Names
from stacks.constructs.promotion_source import READER_ACTIONS
from tests import iam

ACCOUNTS = {"dev": "111111111111", "test": "222222222222", "prod": "333333333333"}
PREVIOUS = {"test": "dev", "prod": "test"}
NEXT = {"dev": "test", "test": "prod"}


def one(synth: Synth, stack: str, type_: str) -> dict[str, Any]:
    (resource,) = synth.resources(stack, type_).values()
    return resource


def rules(synth: Synth, stack: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in synth.resources(stack, "AWS::Events::Rule").values()]


def function_with(synth: Synth, stack: str, handler: str) -> dict[str, Any]:
    (function,) = [
        r["Properties"]
        for r in synth.resources(stack, "AWS::Lambda::Function").values()
        if r["Properties"]["Handler"] == handler
    ]
    return function


def function_id(synth: Synth, stack: str, handler: str) -> str:
    functions = synth.resources(stack, "AWS::Lambda::Function")
    (logical_id,) = [k for k, v in functions.items() if v["Properties"]["Handler"] == handler]
    return logical_id


def work_queue_id(synth: Synth, stack: str) -> str:
    (logical_id,) = [
        k
        for k, q in synth.resources(stack, "AWS::SQS::Queue").items()
        if k.startswith("PromoterWork") and "Dead" not in k
    ]
    return logical_id


def assert_queued_for_the_promoter(
    synth: Synth, stack: str, target: dict[str, Any], group: str = "house-price"
) -> None:
    """The rule's target is the promoter's FIFO work queue, in the project's message group (one at a time per
    project, projects in parallel)."""
    assert target["Arn"] == {"Fn::GetAtt": [work_queue_id(synth, stack), "Arn"]}
    assert target["SqsParameters"] == {"MessageGroupId": group}
    assert "DeadLetterConfig" in target and target["RetryPolicy"]["MaximumRetryAttempts"] == 4


def statements_of(synth: Synth, stack: str) -> dict[str, dict[str, Any]]:
    policies = synth.resources(stack, "AWS::IAM::ManagedPolicy")
    return {
        s["Sid"]: s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"] if "Sid" in s
    }


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def test_each_stage_has_one_promoter_and_the_roles_of_its_sides(synth: Synth) -> None:
    functions = {s: len(synth.resources(f"roadway-{s}-promotion", "AWS::Lambda::Function")) for s in ACCOUNTS}
    assert functions == {"dev": 1, "test": 2, "prod": 2}  # the promoter; where a stage serves, its rollback recorder
    roles = {
        s: sorted(
            r["Properties"]["RoleName"]
            for r in synth.resources(f"roadway-{s}-promotion", "AWS::IAM::Role").values()
            if "RoleName" in r["Properties"]
        )
        for s in ACCOUNTS
    }
    assert roles == {
        "dev": ["roadway-dev-house-price-reader", "roadway-dev-promoter"],
        "test": ["roadway-test-house-price-reader", "roadway-test-promoter", "roadway-test-serving-deployer"],
        "prod": ["roadway-prod-promoter", "roadway-prod-serving-deployer"],
    }


@pytest.mark.parametrize("stage", ["dev", "test"])
def test_registrations_here_are_sealed_by_this_stages_promoter(synth: Synth, stage: str) -> None:
    stack = f"roadway-{stage}-promotion"
    (rule,) = [
        r
        for r in rules(synth, stack)
        if r["EventPattern"]["detail"].get("ModelApprovalStatus") == ["PendingManualApproval"]
    ]
    assert rule["EventPattern"]["account"] == [ACCOUNTS[stage]], "this account's registrations only"
    assert rule["EventPattern"]["detail"] == {
        "ModelApprovalStatus": ["PendingManualApproval"],
        "ModelPackageGroupName": ["house-price"],
    }
    (target,) = rule["Targets"]
    assert_queued_for_the_promoter(synth, stack, target)


@pytest.mark.parametrize(("stage", "target"), [("dev", "test"), ("test", "prod")])
def test_approvals_are_announced_to_the_next_account_and_nothing_more(synth: Synth, stage: str, target: str) -> None:
    stack = f"roadway-{stage}-promotion"
    next_bus = f"arn:aws:events:eu-west-1:{ACCOUNTS[target]}:event-bus/default"
    (rule,) = [r for r in rules(synth, stack) if r["Targets"][0]["Arn"] == next_bus]
    assert rule["EventPattern"] == {
        "account": [ACCOUNTS[stage]],  # this account's own approvals only
        "detail": {"ModelApprovalStatus": ["Approved"], "ModelPackageGroupName": ["house-price"]},
        "detail-type": ["SageMaker Model Package State Change"],
        "source": ["aws.sagemaker"],
    }
    assert "DeadLetterConfig" in rule["Targets"][0], "an announcement that cannot be delivered pages"
    assert statements_of(synth, stack)["AnnounceApprovals"] == {
        "Action": "events:PutEvents",
        "Effect": "Allow",
        "Resource": next_bus,
        "Sid": "AnnounceApprovals",
    }


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


@pytest.mark.parametrize("stage", ["test", "prod"])
def test_rejections_here_reach_the_promoter_for_break_glass(synth: Synth, stage: str) -> None:
    stack = f"roadway-{stage}-promotion"
    (rule,) = [r for r in rules(synth, stack) if r["EventPattern"]["detail"].get("ModelApprovalStatus") == ["Rejected"]]
    assert rule["EventPattern"]["account"] == [ACCOUNTS[stage]], "this account's own rejections only"
    (target,) = rule["Targets"]
    assert_queued_for_the_promoter(synth, stack, target)
    assert not [r for r in rules(synth, "roadway-dev-promotion") if "Rejected" in json.dumps(r["EventPattern"])]


def test_prod_receives_from_test_only_and_sends_nowhere(synth: Synth) -> None:
    template = json.dumps(synth.templates["roadway-prod-promotion"])
    assert ACCOUNTS["dev"] not in template, "prod never names dev"
    assert "reader" not in json.dumps(
        [r["Properties"].get("RoleName") for r in synth.resources("roadway-prod-promotion", "AWS::IAM::Role").values()]
    )


@pytest.mark.parametrize("stage", list(ACCOUNTS))
def test_the_stack_writes_exactly_what_the_function_reads(synth: Synth, stage: str) -> None:
    stack = f"roadway-{stage}-promotion"
    expected = set(Env.EVERY_STAGE) | (set(Env.RECEIVING) if stage in PREVIOUS else set(Env.FIRST))
    for handler in ("promote_model.handler.handler", "promote_model.rollback.handler"):
        if handler.endswith("rollback.handler") and stage not in PREVIOUS:
            continue
        variables = function_with(synth, stack, handler)["Environment"]["Variables"]
        assert set(variables) == expected, handler
        assert variables[Env.STAGE] == stage and variables[Env.ACCOUNT] == ACCOUNTS[stage]


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


@pytest.mark.parametrize("stage", list(ACCOUNTS))
def test_failures_are_kept_encrypted_and_page(synth: Synth, stage: str) -> None:
    stack = f"roadway-{stage}-promotion"
    queues = synth.resources(stack, "AWS::SQS::Queue")
    assert len(queues) == 3, "dead letters of deliveries, the work queue, the work's dead letters"
    for queue in queues.values():
        assert queue["Properties"]["KmsMasterKeyId"] == {"Fn::ImportValue": f"roadway-{stage}-platform-ops-key-arn"}
        assert queue["DeletionPolicy"] == "Retain"
    alarms = [a["Properties"] for a in synth.resources(stack, "AWS::CloudWatch::Alarm").values()]
    assert sorted(a["MetricName"] for a in alarms) == ["ApproximateNumberOfMessagesVisible"] * 2 + ["Errors"]
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Fn::ImportValue": f"roadway-{stage}-platform-alarm-topic-arn"}]


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
    assert not [s for s in statements.values() if any(a.endswith(":*") for a in _actions(s))]
    assert not synth.resources(f"roadway-{stage}-promotion", "AWS::IAM::Policy"), "no inline policies"


@pytest.mark.parametrize("stage", list(ACCOUNTS))
def test_the_ledger_is_encrypted_recoverable_and_kept(synth: Synth, stage: str) -> None:
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
    assert env[Env.LEDGER_TABLE] == {"Ref": logical_id}
    assert env[Env.ALARM_TOPIC] == {"Fn::ImportValue": f"roadway-{stage}-platform-alarm-topic-arn"}
    outputs = synth.templates[stack]["Outputs"]
    assert outputs["LedgerTableName"]["Value"] == {"Ref": logical_id}


def test_gate_thresholds_come_from_the_receiving_stages_config(synth: Synth, config: RoadwayConfig) -> None:
    """Each project's gate in each stage is its serving stack's output, as the config states it, and the function
    reads the same values from it (one spelling: the config's field names are the runtime's)."""
    for stage in ("test", "prod"):
        variables = function_with(synth, f"roadway-{stage}-promotion", "promote_model.handler.handler")["Environment"]
        assert not [k for k in variables["Variables"] if k.startswith("GATE_")], "no stage-wide gate any more"
        output = synth.templates[f"roadway-{stage}-serving"]["Outputs"][Output.GATE]["Value"]
        stated = config.projects[0].stages.test.promotion_gate if stage == "test" else None
        stated = stated or config.projects[0].stages.prod.promotion_gate
        assert Gate.from_output(output) == Gate(stated.rmse_log_max, stated.max_regression_pct)
    assert Gate.from_output(synth.templates["roadway-prod-serving"]["Outputs"][Output.GATE]["Value"]) == Gate(0.12, 2)
    assert Gate.from_output(synth.templates["roadway-test-serving"]["Outputs"][Output.GATE]["Value"]) == Gate(0.125)


@pytest.mark.parametrize("stage", list(ACCOUNTS))
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


# --- No account may write another's ------------------------------------------------------------------------


def _statements(node: Any) -> Iterator[dict[str, Any]]:
    """Every policy statement with a principal anywhere in a template (resource policies and role trusts)."""
    if isinstance(node, dict):
        if "Effect" in node and "Principal" in node:
            yield node
        for value in node.values():
            yield from _statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from _statements(value)


def grants_to(synth: Synth, stage: str, account: str) -> list[dict[str, Any]]:
    """What ``stage``'s templates grant principals of ``account``: resource policies and role trusts."""
    return [
        s
        for name, template in synth.templates.items()
        if name.startswith(f"roadway-{stage}-")
        for s in _statements(template)
        if f":{account}:" in json.dumps(s["Principal"]) and s["Effect"] == "Allow"
    ]


# What a source account may grant the next one: read its artifacts through S3, assume the read-only reader role.
_READS = {"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectTagging"}
_DECRYPT = {"kms:Decrypt", "kms:DescribeKey"}


@pytest.mark.parametrize(("stage", "receiver"), [("dev", "test"), ("test", "prod")])
def test_a_source_grants_the_next_account_reads_and_nothing_else(synth: Synth, stage: str, receiver: str) -> None:
    granted = grants_to(synth, stage, ACCOUNTS[receiver])
    assert granted, "the next account must be able to read something"
    promoter = f"arn:aws:iam::{ACCOUNTS[receiver]}:role/roadway-{receiver}-promoter"
    for statement in granted:
        actions = set(_actions(statement))
        assert actions <= _READS | _DECRYPT | {"sts:AssumeRole"}, statement
        # Only the next stage's promoter, never any principal of that account.
        assert statement["Condition"]["ArnEquals"] == {"aws:PrincipalArn": promoter}, statement
        if actions & _DECRYPT:
            assert statement["Condition"]["StringEquals"] == {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}


@pytest.mark.parametrize("stage", ["dev", "test"])
def test_the_reader_role_can_read_and_cannot_write(synth: Synth, config: RoadwayConfig, stage: str) -> None:
    template = synth.templates[f"roadway-{stage}-promotion"]
    names = Names.of(config).model(config.projects[0])
    statements = iam.role_statements(template, iam.role_named(template, names.reader_role(stage)))  # type: ignore[arg-type]
    assert {a for s in statements for a in _actions(s)} <= set(READER_ACTIONS)
    package = f"arn:aws:sagemaker:eu-west-1:{ACCOUNTS[stage]}:model-package/house-price/7"
    group = f"arn:aws:sagemaker:eu-west-1:{ACCOUNTS[stage]}:model-package-group/house-price"
    assert iam.allowed(statements, "sagemaker:DescribeModelPackage", package)
    assert iam.allowed(statements, "sagemaker:ListModelPackages", group)
    for action in ("UpdateModelPackage", "CreateModelPackage", "DeleteModelPackage", "PutModelPackageGroupPolicy"):
        approving = iam.as_carried(f"sagemaker:{action}", {"sagemaker:ModelApprovalStatus": "Approved"})
        assert not iam.allowed(statements, f"sagemaker:{action}", package, approving)
    other_group = f"arn:aws:sagemaker:eu-west-1:{ACCOUNTS[stage]}:model-package/other-model/1"
    assert not iam.allowed(statements, "sagemaker:DescribeModelPackage", other_group), "one group's reader"
    for action, resource in (
        ("s3:PutObject", "arn:aws:s3:::anything/key"),
        ("s3:GetObject", "arn:aws:s3:::anything/key"),
        ("dynamodb:PutItem", "arn:aws:dynamodb:eu-west-1:111111111111:table/x"),
        ("cloudformation:UpdateStack", f"arn:aws:cloudformation:eu-west-1:{ACCOUNTS[stage]}:stack/roadway-x/1"),
        ("kms:Decrypt", "arn:aws:kms:eu-west-1:111111111111:key/k"),  # without going through DynamoDB
        ("sts:AssumeRole", "arn:aws:iam::111111111111:role/anything"),
    ):
        assert not iam.allowed(statements, action, resource), action
    trust = iam.trust_statements(template, iam.role_named(template, names.reader_role(stage)))  # type: ignore[arg-type]
    receiver = NEXT[stage]
    promoter = f"arn:aws:iam::{ACCOUNTS[receiver]}:role/roadway-{receiver}-promoter"
    assert iam.may_assume(trust, promoter, "sts:AssumeRole", {})
    assert not iam.may_assume(trust, f"arn:aws:iam::{ACCOUNTS[receiver]}:role/admin", "sts:AssumeRole", {})


@pytest.mark.parametrize(("stage", "previous"), [("test", "dev"), ("prod", "test")])
def test_a_receiver_grants_the_previous_account_only_putevents(synth: Synth, stage: str, previous: str) -> None:
    granted = grants_to(synth, stage, ACCOUNTS[previous])
    assert [set(_actions(s)) for s in granted] == [{"events:PutEvents"}]
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


def test_prod_grants_nothing_to_any_other_account_but_test_announcements(synth: Synth) -> None:
    assert grants_to(synth, "prod", ACCOUNTS["dev"]) == []
    assert [set(_actions(s)) for s in grants_to(synth, "prod", ACCOUNTS["test"])] == [{"events:PutEvents"}]


@pytest.mark.parametrize("stage", ["dev", "test", "prod"])
def test_the_promoter_takes_one_event_at_a_time_per_project_from_a_fifo_queue(synth: Synth, stage: str) -> None:
    stack = f"roadway-{stage}-promotion"
    queues = synth.resources(stack, "AWS::SQS::Queue")
    work = queues[work_queue_id(synth, stack)]["Properties"]
    assert work["FifoQueue"] is True and work["ContentBasedDeduplication"] is True
    (dead_id,) = [k for k in queues if k.startswith("PromoterWorkDeadLetters")]
    assert queues[dead_id]["Properties"]["FifoQueue"] is True
    assert work["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [dead_id, "Arn"]}, "maxReceiveCount": 3}
    promoter = function_with(synth, stack, "promote_model.handler.handler")
    assert "ReservedConcurrentExecutions" not in promoter, "new accounts (quota 10) refuse any reservation"
    assert work["VisibilityTimeout"] > promoter["Timeout"], "a try may run the function's whole timeout"
    (mapping,) = synth.resources(stack, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [work_queue_id(synth, stack), "Arn"]}
    assert mapping["Properties"]["BatchSize"] == 1
    assert mapping["Properties"]["FunctionName"] == {"Ref": function_id(synth, stack, "promote_model.handler.handler")}
    take = statements_of(synth, stack)["TakeWorkFromTheQueue"]
    assert take["Resource"] == {"Fn::GetAtt": [work_queue_id(synth, stack), "Arn"]}
    # Every rule that feeds the promoter names the project's message group.
    for rule in rules(synth, stack):
        for target in rule["Targets"]:
            if target["Arn"] == {"Fn::GetAtt": [work_queue_id(synth, stack), "Arn"]}:
                assert (
                    target["SqsParameters"]["MessageGroupId"]
                    == rule["EventPattern"]["detail"]["ModelPackageGroupName"][0]
                )
