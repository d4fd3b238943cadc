"""Enough of IAM's evaluation to ask a synthesized template "may this role do that?", in AWS's terms.

moto checks no IAM policy, so who may do what is proven from the templates. This evaluates policies the way IAM
does for what Roadway uses: Allow and Deny, Action and NotAction, Resource and NotResource, wildcards (``*`` and
``?`` only; ``[`` is literal; an ARN's wildcard stays within its segment), policy variables (``${aws:SourceIdentity}``,
``${aws:PrincipalTag/…}``, ``${aws:username}``; a variable the request lacks makes its condition false and its
resource match nothing), case-insensitive key names, and the operators StringEquals/StringLike/ArnEquals/ArnLike/
Null/Bool (their negations, ForAllValues/ForAnyValue and IfExists). An explicit Deny wins; otherwise some Allow must.

It asks only AWS's questions: a request context may hold only keys the action carries (the Service Authorization
Reference, tests/aws.py), so no test can invent one, and an unknown action is an error. What it does not model
(NotPrincipal, other operators) it refuses loudly. Tokens (Ref, Fn::Join, imports) are rendered as cdk-nag
renders them, so a resource reads ``arn:aws:s3:::<ArtifactBucket1234>/*``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from stacks.compliance.gate import render_resolved
from tests import aws

Context = Mapping[str, str | list[str] | bool]


class InventedKey(AssertionError):
    """A request context with a key AWS never sends with that action: the test asks a question AWS does not."""


def render(node: Any) -> str:
    return render_resolved(node).replace("<AWS::Partition>", "aws").replace("<AWS::URLSuffix>", "amazonaws.com")


def listed(value: Any) -> list[Any]:
    """A policy element that may be one value or a list, as a list."""
    return value if isinstance(value, list) else [value]


def statements_of(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every policy statement anywhere in ``node`` (a template resource's properties: identity, trust, bucket, key,
    topic, queue and endpoint policies alike): a list under ``Statement`` whose entries have an ``Effect``."""
    if isinstance(node, dict):
        statement = node.get("Statement")
        if isinstance(statement, list) and statement and all(isinstance(s, dict) and "Effect" in s for s in statement):
            for i, s in enumerate(statement):
                yield f"{where}[{s.get('Sid', i)}]", s
        for key, value in node.items():
            if key != "Statement":
                yield from statements_of(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from statements_of(value, f"{where}[{i}]")


@cache
def _glob(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    """IAM's wildcards: ``*`` any run, ``?`` one character; nothing else is special (``[`` is literal)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body + r"\Z", 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def _like(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    return _glob(pattern, case_sensitive).match(value) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """ARN matching as IAM does it: the six colon-separated segments each on their own (a ``*`` in the region
    does not swallow the account)."""
    if pattern == "*":
        return True
    if not (pattern.startswith("arn:") and value.startswith("arn:")):
        return _like(pattern, value)  # a token cdk-nag rendered (``<Bucket.Arn>/*``), not an ARN's text
    wanted, got = pattern.split(":", 5), value.split(":", 5)
    if len(wanted) != 6 or len(got) != 6:
        return False
    return all(_like(w, g) for w, g in zip(wanted, got, strict=True))


_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_ESCAPES = {"$": "$"}  # ${*} and ${?} (a literal wildcard character) are refused below


class _Missing(Exception):
    """A policy variable the request context does not hold: its condition is false."""


def _substitute(text: str, context: Mapping[str, Any]) -> str:
    """Policy variables replaced by the request's values (``${*}``, ``${?}`` and ``${$}`` stand for themselves)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _ESCAPES:
            return _ESCAPES[name]
        if name in ("*", "?"):
            raise NotImplementedError(f"policy variable ${{{name}}} (a literal wildcard)")
        key, _, default = name.partition(",")
        found = context.get(key.strip().lower())
        if found is None:
            if default:
                return default.strip().strip("'")
            raise _Missing(name)
        if isinstance(found, list):
            raise NotImplementedError(f"policy variable {name} of a multivalued key")
        return str(found)

    return _VARIABLE.sub(value, text)


def _operator(op: str, patterns: list[str], value: str) -> bool:
    base = op.removesuffix("IfExists")
    if base == "StringEquals":
        return value in patterns
    if base == "StringEqualsIgnoreCase":
        return value.lower() in [p.lower() for p in patterns]
    if base == "StringLike":
        return any(_like(p, value) for p in patterns)
    if base in ("ArnEquals", "ArnLike"):  # ArnEquals takes wildcards too, per segment
        return any(_arn_like(p, value) for p in patterns)
    if base.startswith(("StringNot", "ArnNot")):
        return not _operator(base.replace("Not", "", 1), patterns, value)
    if base == "Bool":
        return str(value).lower() in [str(p).lower() for p in patterns]
    raise NotImplementedError(f"condition operator {op}")


def _condition_holds(condition: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    """``context``'s keys are lower-cased (IAM reads key names case-insensitively)."""
    for raw_op, tests in condition.items():
        qualifier, _, op = raw_op.rpartition(":") if ":" in raw_op else ("", "", raw_op)
        for key, expected in tests.items():
            try:
                patterns = [
                    _substitute(render(p) if not isinstance(p, (str, bool)) else str(p), context)
                    for p in listed(expected)
                ]
            except _Missing:
                return False
            present = key.lower() in context
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
            values = [str(v) for v in listed(context[key.lower()])]
            if qualifier == "ForAllValues":
                ok = all(_operator(op, patterns, v) for v in values)
            else:  # ForAnyValue, or a single-valued key
                ok = any(_operator(op, patterns, v) for v in values)
            if not ok:
                return False
    return True


def _names(statement: Mapping[str, Any], action: str) -> bool:
    """Whether the statement's Action (or NotAction) covers ``action`` (action names are case-insensitive)."""
    if "NotAction" in statement:
        return not any(_like(a, action, case_sensitive=False) for a in listed(statement["NotAction"]))
    return any(_like(a, action, case_sensitive=False) for a in listed(statement.get("Action", [])))


def names_action(statements: Iterable[Mapping[str, Any]], action: str) -> bool:
    """Whether some Allow statement names ``action`` at all (on whichever resource, under whichever condition)."""
    return any(s["Effect"] == "Allow" and _names(s, action) for s in statements)


def _covers(statement: Mapping[str, Any], resource: str, context: Mapping[str, Any]) -> bool:
    def hits(entries: Any) -> bool:
        for entry in listed(entries):
            try:
                if _arn_like(_substitute(render(entry), context), resource):
                    return True
            except _Missing:
                continue
        return False

    if "NotResource" in statement:  # every resource but these
        return not hits(statement["NotResource"])
    return hits(statement.get("Resource", []))


def _matches(statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, Any]) -> bool:
    return (
        _names(statement, action)
        and _covers(statement, resource, context)
        and _condition_holds(statement.get("Condition", {}), context)
    )


def request(action: str, context: Context | None) -> dict[str, Any]:
    """The request context as IAM reads it (keys lower-cased), refused if it holds a key ``action`` never carries."""
    aws.action(action)  # an action the reference does not know is a typo, not a denial
    invented = [key for key in (context or {}) if not aws.carries(action, key)]
    if invented:
        raise InventedKey(
            f"{action} never carries {', '.join(invented)} (Service Authorization Reference, aws_facts/): "
            "a request context may hold only the action's own, its resource types' and global keys"
        )
    return {key.lower(): value for key, value in (context or {}).items()}


def as_carried(action: str, context: Context) -> dict[str, Any]:
    """``context`` with only the keys ``action`` carries: one attempt swept across several actions (a denial
    loop), each asked as AWS would ask it."""
    return {key: value for key, value in context.items() if aws.carries(action, key)}


def allowed(
    statements: Iterable[Mapping[str, Any]], action: str, resource: str, context: Context | None = None
) -> bool:
    """IAM's answer for one identity's statements: explicit Deny wins, then any Allow, else implicit deny."""
    statements = list(statements)
    full = request(action, context)
    if any(s["Effect"] == "Deny" and _matches(s, action, resource, full) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and _matches(s, action, resource, full) for s in statements)


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


def _principal_names(statement: Mapping[str, Any], principal_arn: str, account: str) -> bool:
    """Whether a resource policy's Principal names the caller: the ARN itself, its account (root or the bare id),
    or everyone (``"*"`` and ``{"AWS": "*"}``). NotPrincipal is refused: Roadway writes none."""
    if "NotPrincipal" in statement:
        raise NotImplementedError("NotPrincipal")
    principal = statement.get("Principal", {})
    if principal == "*":
        return True
    aws_principals = [render(p) for p in listed(principal.get("AWS", []) if isinstance(principal, dict) else [])]
    return any(p in ("*", principal_arn, f"arn:aws:iam::{account}:root", account) for p in aws_principals)


def may_assume(trust: Iterable[Mapping[str, Any]], principal_arn: str, action: str, context: Context) -> bool:
    """Whether a trust policy lets ``principal_arn`` (in its account) call ``action`` on the role: a matching
    Deny wins, then some Allow must name the caller with its conditions met."""
    account = re.match(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):", principal_arn)
    assert account, principal_arn
    full = request(action, {"aws:PrincipalArn": principal_arn, "aws:PrincipalAccount": account.group(1), **context})

    def applies(statement: Mapping[str, Any]) -> bool:
        return (
            _names(statement, action)
            and _principal_names(statement, principal_arn, account.group(1))
            and _condition_holds(statement.get("Condition", {}), full)
        )

    trust = list(trust)
    if any(s["Effect"] == "Deny" and applies(s) for s in trust):
        return False
    return any(s["Effect"] == "Allow" and applies(s) for s in trust)


def service_may_assume(trust: Iterable[Mapping[str, Any]], service: str, action: str) -> bool:
    """Whether a trust policy lets AWS service ``service`` (``sagemaker.amazonaws.com``) call ``action``: a
    service principal's request carries no key a condition here could ask about, so any condition refuses."""
    request(action, {})

    def names(statement: Mapping[str, Any]) -> bool:
        principal = statement.get("Principal", {})
        services = listed(principal.get("Service", [])) if isinstance(principal, dict) else []
        return _names(statement, action) and (principal == "*" or service in services)

    trust = list(trust)
    if any(s["Effect"] == "Deny" and names(s) for s in trust):
        return False
    return any(s["Effect"] == "Allow" and names(s) and not s.get("Condition") for s in trust)


def bucket_policy_denies(
    statements: Iterable[Mapping[str, Any]], action: str, resource: str, principal_arn: str
) -> bool:
    """Whether a bucket policy's explicit Deny (to every principal) stops ``principal_arn`` doing ``action``."""
    context = request(action, {"aws:PrincipalArn": principal_arn})
    for statement in statements:
        if statement["Effect"] != "Deny" or statement.get("Principal") not in ("*", {"AWS": "*"}):
            continue
        if _matches(statement, action, resource, context):
            return True
    return False


# botocore's signing name where it is not the service's IAM prefix.
_SIGNED_AS = {"monitoring": "cloudwatch"}


def record_actions(monkeypatch: Any, heard: Callable[[str], None]) -> None:
    """From here on, every AWS call any client makes is ``heard`` as the IAM action it needs (``service:Operation``,
    checked to be one of the Service Authorization Reference), so a policy can be held to the calls code really
    makes. STS is left out: the tests' role hops, and GetCallerIdentity, need no grant in a permission set."""
    from devtools.patched.botocore import on_every_call

    def recording(client: Any, operation: str, params: Any) -> None:
        signed = client.meta.service_model.signing_name
        if signed != "sts":
            action = f"{_SIGNED_AS.get(signed, signed)}:{operation}"
            assert aws.known(action), f"{action} is no action of the Service Authorization Reference"
            heard(action)

    on_every_call(monkeypatch, recording)
