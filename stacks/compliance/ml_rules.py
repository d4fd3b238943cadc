"""Roadway's own cdk-nag rule pack: the ML controls the standard packs do not check.

AwsSolutions, NIST 800-53 and HIPAA know nothing of SageMaker models (their SM rules cover notebook instances),
of where images come from, or of who may approve a model package. These rules run at every synth beside them,
their findings fail synth like any other, and their acknowledgements appear in the auditor's report:

- ``Roadway-SM1`` a SageMaker model runs network-isolated inside a VPC;
- ``Roadway-SM2`` an ECR pull grant names its registry accounts (no wildcard account, ``*`` resource or
  ``NotResource``: images from SageMaker's registries and the road's own only);
- ``Roadway-SM3`` whoever may create or update a model package is bound by ``sagemaker:ModelApprovalStatus``
  (authors register as pending, only the approver role decides): the condition requires the key and refuses
  some status;
- ``Roadway-SM4`` endpoint storage and captures, and monitoring volumes, are encrypted with a customer key (not
  an ``alias/aws/…`` one);
- ``Roadway-SM5`` a Model Monitor schedule needs an account that already has Model Monitor (closed to new AWS
  customers): acknowledged only where config chose ``engine: model-monitor``, so the report says so;
- ``Roadway-VPC1`` every VPC endpoint carries a policy that restricts (the data perimeter): not an allow of
  everything to everyone under no condition.
- ``Roadway-IAM1`` every role carries the permissions boundary and the path config demands (``iam``), as the
  synthesized template holds it: CDK's own roles too, and whatever an override did after the constructs were made.

Policies are read as IAM reads them (``stacks.compliance.iam_meaning``): ``Action`` and ``NotAction``, wildcards
anywhere in an action's name, names in any case; a condition that refuses nothing binds nothing.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import CfnResource, Stack, Stage
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance

from stacks import organization
from stacks.compliance.gate import render_resolved
from stacks.compliance.iam_meaning import allows_everything, binds, grants, like, listed

PACK = "Roadway"
Check = Callable[[dict[str, Any]], bool]  # resolved properties -> compliant?


@jsii.implements(IApplyRule)
class _Rule:
    """One application of a rule to one resource, in the shape cdk-nag's ``applyRule`` reads."""

    def __init__(self, suffix: str, info: str, explanation: str, node: CfnResource, check: Check) -> None:
        self._suffix, self._info, self._explanation, self._node, self._check = suffix, info, explanation, node, check

    @property
    def rule_suffix_override(self) -> str:
        return self._suffix

    @property
    def info(self) -> str:
        return self._info

    @property
    def explanation(self) -> str:
        return self._explanation

    @property
    def level(self) -> NagMessageLevel:
        return NagMessageLevel.ERROR

    @property
    def node(self) -> CfnResource:
        return self._node

    def rule(self, node: CfnResource) -> NagRuleCompliance:
        compliant = self._check(cloudformation_properties(node))
        return NagRuleCompliance.COMPLIANT if compliant else NagRuleCompliance.NON_COMPLIANT


def cloudformation_properties(node: CfnResource) -> dict[str, Any]:
    """The resource's properties as its template will hold them (CloudFormation's names, tokens resolved)."""
    rendered = node._render_properties(node._cfn_properties)
    resolved = Stack.of(node).resolve(rendered)
    return resolved if isinstance(resolved, dict) else {}


def _statements(properties: dict[str, Any]) -> Iterator[dict[str, Any]]:
    documents = [properties.get("PolicyDocument")] + [p.get("PolicyDocument") for p in properties.get("Policies", [])]
    for document in documents:
        if isinstance(document, dict):
            yield from (s for s in listed(document.get("Statement", [])) if isinstance(s, dict))


def _rendered(value: Any) -> str | None:
    """A resource as text (tokens as cdk-nag writes them, ``<AWS::AccountId>``); ``None`` if it cannot be read."""
    try:
        return render_resolved(value)
    except ValueError:
        return None


def model_isolated(properties: dict[str, Any]) -> bool:
    return properties.get("EnableNetworkIsolation") is True and bool(properties.get("VpcConfig"))


def _any_account(resource: Any) -> bool:
    """Whether a Resource entry may name an ECR repository of any account: all wildcards, an ARN whose service
    may be ``ecr`` and whose account holds a wildcard (or that stops before its account), or unreadable."""
    text = _rendered(resource)
    if text is None or not text.replace("*", "").replace("?", ""):
        return True
    parts = re.sub(r"<[^<>]*>", "token", text).split(":", 5)  # a token (<AWS::Partition>) is one segment
    if len(parts) < 3 or not like(parts[2], "ecr"):
        return False
    return len(parts) < 5 or "*" in parts[4] or "?" in parts[4]


def images_named(properties: dict[str, Any]) -> bool:
    pulls = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
    for statement in _statements(properties):
        if any(grants(statement, a) for a in pulls):
            if "NotResource" in statement:  # every repository but a few
                return False
            if any(_any_account(r) for r in listed(statement.get("Resource", []))):
                return False
    return True


APPROVAL_STATUSES = ("Approved", "Rejected", "PendingManualApproval")  # the API's ModelApprovalStatus values


def approval_bound(properties: dict[str, Any]) -> bool:
    """Every grant of CreateModelPackage or UpdateModelPackage requires ``sagemaker:ModelApprovalStatus`` and
    refuses at least one status (``StringLike: "*"`` or ``StringEqualsIfExists`` binds nothing)."""
    for statement in _statements(properties):
        for action in ("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"):
            if grants(statement, action) and not binds(statement, "sagemaker:ModelApprovalStatus", APPROVAL_STATUSES):
                return False
    return True


def customer_key(value: Any) -> bool:
    """A KMS key reference that is not empty and not an AWS managed key's alias (``alias/aws/sagemaker``); a token
    this cannot render is a key resource's attribute, not an alias's text."""
    text = _rendered(value) if value else ""
    return bool(value) and (text is None or re.search(r"(^|:)alias/aws/", text) is None)


def endpoint_encrypted(properties: dict[str, Any]) -> bool:
    variants = properties.get("ProductionVariants") or []
    serverless = bool(variants) and all("ServerlessConfig" in v for v in variants)
    capture = properties.get("DataCaptureConfig")
    if capture and not customer_key(capture.get("KmsKeyId")):
        return False
    return serverless or customer_key(properties.get("KmsKeyId"))  # a serverless endpoint has no storage volume


def monitoring_encrypted(properties: dict[str, Any]) -> bool:
    cluster = (properties.get("JobResources") or {}).get("ClusterConfig") or {}
    output = properties.get("DataQualityJobOutputConfig") or {}
    network = properties.get("NetworkConfig") or {}
    return (
        customer_key(cluster.get("VolumeKmsKeyId"))
        and customer_key(output.get("KmsKeyId"))
        and network.get("EnableInterContainerTrafficEncryption") is True
    )


@functools.lru_cache(maxsize=8)
def _template(path: Path, version: tuple[int, int]) -> dict[str, Any]:
    del version  # part of the key: a template written again is read again
    return json.loads(path.read_text())


def synthesized_properties(node: CfnResource) -> dict[str, Any]:
    """The resource's properties as synth wrote them, overrides included (the packs run after the templates are
    written); what CDK's own boundary and Roadway's path reach only by override is seen only here."""
    stack = Stack.of(node)
    path = Path(Stage.of(stack).outdir) / stack.template_file  # type: ignore[union-attr]
    stat = path.stat()
    resource = _template(path, (stat.st_mtime_ns, stat.st_size))["Resources"][stack.resolve(node.logical_id)]
    return dict(resource.get("Properties", {}))


def role_governed(node: CfnResource) -> bool:
    """The role has the boundary and the path its stage's config demands (stacks/organization.py)."""
    demanded = organization.expected(node)
    boundary, path = demanded.get("permissions_boundary"), demanded.get("role_path")
    if boundary is None and path is None:
        return True
    properties = synthesized_properties(node)
    if path is not None and properties.get("Path", "/") != path:
        return False
    if boundary is None:
        return True
    stack = Stack.of(node)
    arn = (
        boundary
        if boundary.startswith("arn:")
        else stack.format_arn(service="iam", region="", resource="policy", resource_name=boundary)
    )
    return _rendered(properties.get("PermissionsBoundary")) == _rendered(stack.resolve(arn))


def endpoint_has_policy(properties: dict[str, Any]) -> bool:
    """A policy that restricts: not absent, and not an unconditional allow of everything to everyone (unless a Deny
    beside it draws the perimeter)."""
    document = properties.get("PolicyDocument")
    if not isinstance(document, dict) or not document:
        return False
    statements = [s for s in listed(document.get("Statement", [])) if isinstance(s, dict)]
    if any(s.get("Effect") == "Deny" for s in statements):
        return True
    return not any(allows_everything(s) for s in statements)


# Every CloudFormation resource that carries identity policies (a user's or group's inline policies grant too).
_POLICIES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")
RULES: dict[str, tuple[tuple[str, ...], str, str, Check]] = {
    "SM1": (
        ("AWS::SageMaker::Model",),
        "The SageMaker model is not network-isolated inside a VPC.",
        "Whatever a package's model.tar.gz contains runs in this container; without isolation and a VPC it can "
        "reach the internet with the data it serves.",
        model_isolated,
    ),
    "SM2": (
        _POLICIES,
        "The policy lets images be pulled from any ECR account.",
        "Name the region's SageMaker image accounts and the road's own (roadway/images.py).",
        images_named,
    ),
    "SM3": (
        _POLICIES,
        "The policy lets model packages be created or updated without a sagemaker:ModelApprovalStatus condition "
        "that requires the key and refuses some status.",
        "Authors register as PendingManualApproval only, and only the approver role decides; an unbound grant lets "
        "its holder approve their own package.",
        approval_bound,
    ),
    "SM4": (
        ("AWS::SageMaker::EndpointConfig", "AWS::SageMaker::DataQualityJobDefinition"),
        "Endpoint storage, captured data or a monitoring job is not encrypted with a customer-managed key.",
        "Volumes, captures and monitoring outputs hold the requests served; encrypt them with the stage's keys.",
        lambda p: monitoring_encrypted(p) if "JobResources" in p else endpoint_encrypted(p),
    ),
    "SM5": (
        ("AWS::SageMaker::MonitoringSchedule",),
        "Model Monitor is closed to new AWS customers: this schedule can be created only in an account that has it.",
        "Where the account lacks Model Monitor, the schedule is refused and the promotion that would create it "
        "rolls back; use monitoring engine roadway (Roadway's drift job), which runs in every account.",
        lambda _: False,
    ),
    "VPC1": (
        ("AWS::EC2::VPCEndpoint",),
        "The VPC endpoint has no endpoint policy, or one that allows everything to everyone.",
        "Without a policy an endpoint admits any principal and resource: the data perimeter needs one on each.",
        endpoint_has_policy,
    ),
}


ROLE_RULE = (
    "The role lacks the permissions boundary or the path config demands (iam.permissions_boundary, iam.role_path).",
    "The organization's service control policies refuse such a role: the deploy would fail in the account, "
    "part-way. A role made outside CDK's and Roadway's mechanisms (a plain resource added late, an override) "
    "escapes them; give it the boundary and path.",
)


class RoadwayChecks(NagPack):
    """The pack; registered beside the standard ones by :func:`stacks.compliance.gate.rule_packs`."""

    def __init__(self, scope: Any = None, *, verbose: bool = True) -> None:
        super().__init__(scope, verbose=verbose)
        self._pack_name = PACK

    @property
    def name(self) -> str:
        return PACK

    def _check_resource(self, node: CfnResource) -> None:
        for suffix, (types, info, explanation, check) in RULES.items():
            if node.cfn_resource_type in types:
                self._apply_rule(_Rule(suffix, info, explanation, node, check))
        if node.cfn_resource_type == organization.ROLE:
            self._apply_rule(_Rule("IAM1", *ROLE_RULE, node, lambda _: role_governed(node)))
