"""The promotion stacks as the app-ring tests read them: which stage sends to which, and the wiring's parts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from devtools.synth import Synth

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


def actions_of(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def statements_in(node: Any) -> Iterator[dict[str, Any]]:
    """Every policy statement with a principal anywhere in a template (resource policies and role trusts)."""
    if isinstance(node, dict):
        if "Effect" in node and "Principal" in node:
            yield node
        for value in node.values():
            yield from statements_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from statements_in(value)


def grants_to(synth: Synth, stage: str, account: str) -> list[dict[str, Any]]:
    """What ``stage``'s templates grant principals of ``account``: resource policies and role trusts."""
    return [
        s
        for name, template in synth.templates.items()
        if name.startswith(f"roadway-{stage}-")
        for s in statements_in(template)
        if f":{account}:" in json.dumps(s["Principal"]) and s["Effect"] == "Allow"
    ]


# What a source account may grant the next one: read its artifacts through S3, assume the read-only reader role.
READS = {"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectTagging"}


DECRYPT = {"kms:Decrypt", "kms:DescribeKey"}
