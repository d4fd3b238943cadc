"""CloudFormation's and IAM's size limits, checked on the synthesized templates before anything is deployed.

A stack over a limit fails only at deploy time, in the account, after its neighbours were updated; at synth it
is one line naming the stack or policy, the count and the limit. CDK's own resource check is switched off
(``STACK_RESOURCE_LIMIT_CONTEXT``) because it ends synth in a jsii traceback; this module checks the same number
and the rest.

Policy sizes count characters without whitespace, as IAM does. A name CloudFormation resolves only at deploy
time (a ``Ref``, ``Fn::GetAtt`` or ``Fn::ImportValue``) is counted at a generous length, so a policy reported
inside its limit stays inside it once deployed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STACK_RESOURCE_LIMIT_CONTEXT = "@aws-cdk/core:stackResourceLimit"

MAX_RESOURCES = 500
MAX_PARAMETERS = 200
MAX_OUTPUTS = 200
MAX_TEMPLATE_BYTES = 1_000_000  # a template uploaded through the bootstrap bucket, as CDK does
MAX_MANAGED_POLICY = 6_144
MAX_ROLE_INLINE_POLICIES = 10_240  # every inline policy of one role together
MAX_TRUST_POLICY = 2_048  # the default quota; AWS raises it to 4,096 on request
MAX_BUCKET_POLICY = 20_480
MAX_KEY_POLICY = 32_768
MAX_ENDPOINT_POLICY = 20_480
MAX_TOPIC_POLICY = 30_720  # SNS: 30 KB
MAX_MANAGED_POLICIES_PER_ROLE = 10  # the default quota; AWS raises it to 20 on request
MAX_LAMBDA_ENVIRONMENT = 4_096  # every variable's name and value together
MAX_QUEUE_POLICY = 8_192  # SQS: bytes of a queue's policy
MAX_QUEUE_POLICY_STATEMENTS = 20  # SQS: statements of a queue's policy (CDK adds one per rule that targets it)
MAX_EVENT_BUS_POLICY = 10_240  # EventBridge: characters of a bus's policy (every account granted adds to it)

# Lengths at which unresolved names are counted: an ARN of a role, key or bucket stays well under 100.
_PSEUDO = {"AWS::AccountId": 12, "AWS::Region": 14, "AWS::Partition": 10, "AWS::URLSuffix": 16}
_NAME = 100


@dataclass(frozen=True)
class Excess:
    """One limit exceeded: what, by how much, against which limit."""

    where: str
    what: str
    count: int
    limit: int
    authority: str = "CloudFormation"
    path: str = ""
    """The construct path of the resource over its limit (its template metadata), which names what to change."""

    def line(self) -> str:
        return f"{self.where}: {self.count} {self.what}, {self.authority} allows {self.limit}"


def resolved_length(node: Any) -> Any:
    """The node with every intrinsic function replaced by a string of the length it may resolve to."""
    if isinstance(node, list):
        return [resolved_length(item) for item in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (key, value), *_ = node.items()
        if key == "Ref":
            return "x" * _PSEUDO.get(value, _NAME)
        if key in ("Fn::GetAtt", "Fn::ImportValue", "Fn::Select", "Fn::GetAZs", "Fn::FindInMap"):
            return "x" * _NAME
        if key == "Fn::Join":
            separator, parts = value
            return separator.join(str(resolved_length(part)) for part in parts)
        if key == "Fn::Sub":
            text = value if isinstance(value, str) else value[0]
            return re.sub(r"\$\{[^}]+\}", "x" * _NAME, text)
    return {key: resolved_length(value) for key, value in node.items()}


def policy_size(document: Any) -> int:
    """Characters of a policy document as IAM counts them: no whitespace."""
    return len(re.sub(r"\s", "", json.dumps(resolved_length(document), separators=(",", ":"))))


def _policies(stack: str, resources: Mapping[str, Any], given: Mapping[str, str]) -> list[Excess]:
    found: list[Excess] = []
    inline: dict[str, int] = {}
    paths = {
        logical_id: given.get(logical_id) or resource.get("Metadata", {}).get("aws:cdk:path", "")
        for logical_id, resource in resources.items()
    }

    def check(logical_id: str, kind: str, document: Any, limit: int, authority: str = "IAM") -> None:
        size = policy_size(document)
        if size > limit:
            found.append(
                Excess(f"stack {stack}, {kind} {logical_id}", "characters", size, limit, authority, paths[logical_id])
            )

    for logical_id, resource in resources.items():
        kind, props = resource.get("Type"), resource.get("Properties", {})
        if kind == "AWS::IAM::ManagedPolicy":
            check(logical_id, "managed policy", props["PolicyDocument"], MAX_MANAGED_POLICY)
        elif kind == "AWS::IAM::Role":
            check(logical_id, "trust policy of role", props["AssumeRolePolicyDocument"], MAX_TRUST_POLICY)
            for policy in props.get("Policies", []):
                inline[logical_id] = inline.get(logical_id, 0) + policy_size(policy["PolicyDocument"])
        elif kind == "AWS::IAM::Policy":
            for role in props.get("Roles", []):
                if isinstance(role, dict) and "Ref" in role:
                    inline[role["Ref"]] = inline.get(role["Ref"], 0) + policy_size(props["PolicyDocument"])
        elif kind == "AWS::S3::BucketPolicy":
            check(logical_id, "bucket policy", props["PolicyDocument"], MAX_BUCKET_POLICY, "S3")
        elif kind == "AWS::KMS::Key":
            check(logical_id, "key policy", props.get("KeyPolicy", {}), MAX_KEY_POLICY, "KMS")
        elif kind == "AWS::EC2::VPCEndpoint" and "PolicyDocument" in props:
            check(logical_id, "VPC endpoint policy", props["PolicyDocument"], MAX_ENDPOINT_POLICY, "Amazon VPC")
        elif kind == "AWS::SNS::TopicPolicy":
            check(logical_id, "topic policy", props["PolicyDocument"], MAX_TOPIC_POLICY, "SNS")
        elif kind == "AWS::SQS::QueuePolicy":
            check(logical_id, "queue policy", props["PolicyDocument"], MAX_QUEUE_POLICY, "SQS")
            statements = props["PolicyDocument"].get("Statement", [])
            if len(statements) > MAX_QUEUE_POLICY_STATEMENTS:
                found.append(
                    Excess(
                        f"stack {stack}, queue policy {logical_id}",
                        "statements",
                        len(statements),
                        MAX_QUEUE_POLICY_STATEMENTS,
                        "SQS",
                    )
                )
        elif kind == "AWS::Events::EventBusPolicy" and "Statement" in props:
            check(logical_id, "event bus policy statement", props["Statement"], MAX_EVENT_BUS_POLICY, "EventBridge")
        if kind == "AWS::IAM::Role" and len(props.get("ManagedPolicyArns", [])) > MAX_MANAGED_POLICIES_PER_ROLE:
            found.append(
                Excess(
                    f"stack {stack}, role {logical_id}",
                    "managed policies",
                    len(props["ManagedPolicyArns"]),
                    MAX_MANAGED_POLICIES_PER_ROLE,
                    "IAM",
                )
            )
        if kind == "AWS::Lambda::Function":
            variables = props.get("Environment", {}).get("Variables", {})
            size = sum(len(name) + len(str(resolved_length(value))) for name, value in variables.items())
            if size > MAX_LAMBDA_ENVIRONMENT:
                found.append(
                    Excess(
                        f"stack {stack}, environment of function {logical_id}",
                        "bytes",
                        size,
                        MAX_LAMBDA_ENVIRONMENT,
                        "Lambda",
                    )
                )
    for role, size in sorted(inline.items()):
        if size > MAX_ROLE_INLINE_POLICIES:
            found.append(
                Excess(
                    f"stack {stack}, inline policies of role {role}",
                    "characters",
                    size,
                    MAX_ROLE_INLINE_POLICIES,
                    "IAM",
                )
            )
    return found


def excesses(
    stack: str, template: Mapping[str, Any], template_bytes: int, paths: Mapping[str, str] | None = None
) -> list[Excess]:
    """Every limit ``template`` (stack ``stack``, ``template_bytes`` long as written) exceeds; ``paths``: the
    construct path of each logical ID (the assembly's metadata), else the template's own path metadata."""
    found = [
        Excess(f"stack {stack}", what, count, limit)
        for what, count, limit in (
            ("resources", len(template.get("Resources", {})), MAX_RESOURCES),
            ("parameters", len(template.get("Parameters", {})), MAX_PARAMETERS),
            ("outputs", len(template.get("Outputs", {})), MAX_OUTPUTS),
            ("bytes of template", template_bytes, MAX_TEMPLATE_BYTES),
        )
        if count > limit
    ]
    return found + _policies(stack, template.get("Resources", {}), paths or {})
