"""Enough of IAM's evaluation to ask a synthesized template "may this role do that?".

moto checks no IAM policy, so who may do what is proven from the templates. This evaluates identity policies
the way IAM does for the parts Roadway uses: Allow and Deny statements, wildcard actions and resources,
NotResource, and the condition operators StringEquals/StringLike/ArnEquals/ArnLike/Null/Bool (with
ForAllValues/ForAnyValue and IfExists). An explicit Deny wins; otherwise some Allow must match. Tokens (Ref,
Fn::Join, imports) are rendered as cdk-nag renders them, so a resource reads ``arn:aws:s3:::<ArtifactBucket1234>/*``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import Any

from stacks.compliance import render_resolved

Context = Mapping[str, str | list[str] | bool]


def render(node: Any) -> str:
    return render_resolved(node).replace("<AWS::Partition>", "aws").replace("<AWS::URLSuffix>", "amazonaws.com")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


def _operator(op: str, patterns: list[str], value: str) -> bool:
    base = op.removesuffix("IfExists")
    if base in ("StringEquals", "ArnEquals"):
        return value in patterns
    if base in ("StringLike", "ArnLike"):
        return any(_like(p, value) for p in patterns)
    if base in ("StringNotEquals", "ArnNotEquals"):
        return value not in patterns
    if base in ("StringNotLike", "ArnNotLike"):
        return not any(_like(p, value) for p in patterns)
    if base == "Bool":
        return str(value).lower() in [str(p).lower() for p in patterns]
    raise NotImplementedError(f"condition operator {op}")


def _condition_holds(condition: Mapping[str, Any], context: Context) -> bool:
    for raw_op, tests in condition.items():
        qualifier, _, op = raw_op.rpartition(":") if ":" in raw_op else ("", "", raw_op)
        for key, expected in tests.items():
            patterns = [render(p) if not isinstance(p, (str, bool)) else str(p) for p in _listed(expected)]
            present = key in context
            if op == "Null":
                if (patterns[0].lower() == "true") == present:
                    return False
                continue
            if not present:
                if op.endswith("IfExists") or qualifier == "ForAllValues":
                    continue
                if qualifier != "ForAnyValue" and "Not" in op:
                    continue  # IAM: a negated operator on a missing single-valued key is true
                return False
            values = [str(v) for v in _listed(context[key])]
            if qualifier == "ForAllValues":
                ok = all(_operator(op, patterns, v) for v in values)
            else:  # ForAnyValue, or a single-valued key
                ok = any(_operator(op, patterns, v) for v in values)
            if not ok:
                return False
    return True


def _matches(statement: Mapping[str, Any], action: str, resource: str, context: Context) -> bool:
    actions = [a.lower() for a in _listed(statement.get("Action", []))]
    if not any(_like(a, action.lower()) for a in actions):
        return False
    if "NotResource" in statement:  # every resource but these
        if any(_like(render(r), resource) for r in _listed(statement["NotResource"])):
            return False
    elif not any(_like(render(r), resource) for r in _listed(statement.get("Resource", []))):
        return False
    return _condition_holds(statement.get("Condition", {}), context)


def allowed(
    statements: Iterable[Mapping[str, Any]], action: str, resource: str, context: Context | None = None
) -> bool:
    """IAM's answer for one identity's statements: explicit Deny wins, then any Allow, else implicit deny."""
    statements = list(statements)
    context = context or {}
    if any(s["Effect"] == "Deny" and _matches(s, action, resource, context) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and _matches(s, action, resource, context) for s in statements)


def role_statements(template: Mapping[str, Any], role_id: str) -> list[dict[str, Any]]:
    """Every identity-policy statement of a role: its inline policies and the managed policies of this template
    attached to it (from either side)."""
    resources = template["Resources"]
    role = resources[role_id]["Properties"]
    statements: list[dict[str, Any]] = []
    for policy in role.get("Policies", []):
        statements += policy["PolicyDocument"]["Statement"]
    attached = {a["Ref"] for a in role.get("ManagedPolicyArns", []) if isinstance(a, dict) and "Ref" in a}
    for logical_id, resource in resources.items():
        if resource["Type"] not in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            continue
        roles = resource["Properties"].get("Roles", [])
        if logical_id in attached or {"Ref": role_id} in roles:
            statements += resource["Properties"]["PolicyDocument"]["Statement"]
    return statements


def trust_statements(template: Mapping[str, Any], role_id: str) -> list[dict[str, Any]]:
    return list(template["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"])


def role_named(template: Mapping[str, Any], name: str) -> str:
    (role_id,) = [
        logical_id
        for logical_id, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Role" and r["Properties"].get("RoleName") == name
    ]
    return role_id


def may_assume(trust: Iterable[Mapping[str, Any]], principal_arn: str, action: str, context: Context) -> bool:
    """Whether a trust policy lets ``principal_arn`` (in its account) call ``action`` on the role."""
    account = re.match(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):", principal_arn)
    assert account, principal_arn
    full = {"aws:PrincipalArn": principal_arn, "aws:PrincipalAccount": account.group(1), **context}
    for statement in trust:
        if statement["Effect"] != "Allow":
            continue
        if not any(_like(a, action) for a in _listed(statement["Action"])):
            continue
        aws = [render(p) for p in _listed(statement.get("Principal", {}).get("AWS", []))]
        principal_ok = any(p in (principal_arn, f"arn:aws:iam::{account.group(1)}:root", account.group(1)) for p in aws)
        if principal_ok and _condition_holds(statement.get("Condition", {}), full):
            return True
    return False


def bucket_policy_denies(
    statements: Iterable[Mapping[str, Any]], action: str, resource: str, principal_arn: str
) -> bool:
    """Whether a bucket policy's explicit Deny (to every principal) stops ``principal_arn`` doing ``action``."""
    context = {"aws:PrincipalArn": principal_arn}
    for statement in statements:
        if statement["Effect"] != "Deny" or statement.get("Principal") not in ("*", {"AWS": "*"}):
            continue
        if _matches(statement, action, resource, context):
            return True
    return False
