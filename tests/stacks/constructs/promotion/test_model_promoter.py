"""ModelPromoter, in the app: the function that seals this stage's registrations and takes in approvals, fed one
event at a time per project from a FIFO work queue, configured exactly as it reads, writing only its ledger and
topic."""

from __future__ import annotations

import json

import pytest
from promote_model.contract import Env

from devtools.synth import Synth
from tests.stacks.promotion_wiring import (
    ACCOUNTS,
    PREVIOUS,
    actions_of,
    assert_queued_for_the_promoter,
    function_id,
    function_with,
    rules,
    statements_of,
    work_queue_id,
)


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


@pytest.mark.parametrize("stage", ["test", "prod"])
def test_rejections_here_reach_the_promoter_for_break_glass(synth: Synth, stage: str) -> None:
    stack = f"roadway-{stage}-promotion"
    (rule,) = [r for r in rules(synth, stack) if r["EventPattern"]["detail"].get("ModelApprovalStatus") == ["Rejected"]]
    assert rule["EventPattern"]["account"] == [ACCOUNTS[stage]], "this account's own rejections only"
    (target,) = rule["Targets"]
    assert_queued_for_the_promoter(synth, stack, target)
    assert not [r for r in rules(synth, "roadway-dev-promotion") if "Rejected" in json.dumps(r["EventPattern"])]


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
    assert not [s for s in statements.values() if any(a.endswith(":*") for a in actions_of(s))]


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
