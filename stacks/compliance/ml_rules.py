"""Roadway's own cdk-nag rule pack: the ML controls the standard packs do not check.

AwsSolutions, NIST 800-53 and HIPAA know nothing of SageMaker models (their SM rules cover notebook instances),
of where images come from, or of who may approve a model package. These rules run at every synth beside them,
their findings fail synth like any other, and their acknowledgements appear in the auditor's report:

- ``Roadway-SM1`` a SageMaker model runs network-isolated inside a VPC;
- ``Roadway-SM2`` an ECR pull grant names its registry accounts (no ``*`` account: images from SageMaker's
  registries and the road's own only);
- ``Roadway-SM3`` whoever may create or update a model package is bound by ``sagemaker:ModelApprovalStatus``
  (authors register as pending, only the approver role decides);
- ``Roadway-SM4`` endpoint storage and captures, and monitoring volumes, are encrypted with a customer key;
- ``Roadway-SM5`` a Model Monitor schedule needs an account that already has Model Monitor (closed to new AWS
  customers): acknowledged only where config chose ``engine: model-monitor``, so the report says so;
- ``Roadway-VPC1`` every VPC endpoint carries a policy (the data perimeter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import jsii
from aws_cdk import CfnResource, Stack
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance

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


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(properties: dict[str, Any]) -> Iterator[dict[str, Any]]:
    documents = [properties.get("PolicyDocument")] + [p.get("PolicyDocument") for p in properties.get("Policies", [])]
    for document in documents:
        if isinstance(document, dict):
            yield from (s for s in _listed(document.get("Statement", [])) if isinstance(s, dict))


def _allows(statement: dict[str, Any], action: str) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    service, name = action.split(":")
    for granted in _listed(statement.get("Action", [])):
        if not isinstance(granted, str):
            continue
        g_service, _, g_name = granted.partition(":")
        if granted == "*" or (
            g_service == service and (g_name == name or (g_name.endswith("*") and name.startswith(g_name[:-1])))
        ):
            return True
    return False


def _condition_keys(statement: dict[str, Any]) -> set[str]:
    return {key for tests in (statement.get("Condition") or {}).values() for key in tests}


def model_isolated(properties: dict[str, Any]) -> bool:
    return properties.get("EnableNetworkIsolation") is True and bool(properties.get("VpcConfig"))


def images_named(properties: dict[str, Any]) -> bool:
    pulls = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
    for statement in _statements(properties):
        if any(_allows(statement, a) for a in pulls):
            for resource in _listed(statement.get("Resource", [])):
                text = resource if isinstance(resource, str) else str(resource)
                parts = text.split(":")
                if text == "*" or (len(parts) > 4 and parts[2] == "ecr" and "*" in parts[4]):
                    return False
    return True


def approval_bound(properties: dict[str, Any]) -> bool:
    for statement in _statements(properties):
        for action in ("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"):
            if _allows(statement, action) and "sagemaker:ModelApprovalStatus" not in _condition_keys(statement):
                return False
    return True


def endpoint_encrypted(properties: dict[str, Any]) -> bool:
    variants = properties.get("ProductionVariants") or []
    serverless = bool(variants) and all("ServerlessConfig" in v for v in variants)
    capture = properties.get("DataCaptureConfig")
    if capture and not capture.get("KmsKeyId"):
        return False
    return serverless or bool(properties.get("KmsKeyId"))  # a serverless endpoint has no storage volume


def monitoring_encrypted(properties: dict[str, Any]) -> bool:
    cluster = (properties.get("JobResources") or {}).get("ClusterConfig") or {}
    output = properties.get("DataQualityJobOutputConfig") or {}
    network = properties.get("NetworkConfig") or {}
    return (
        bool(cluster.get("VolumeKmsKeyId"))
        and bool(output.get("KmsKeyId"))
        and network.get("EnableInterContainerTrafficEncryption") is True
    )


def endpoint_has_policy(properties: dict[str, Any]) -> bool:
    return bool(properties.get("PolicyDocument"))


_POLICIES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role")
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
        "The policy lets model packages be created or updated without a sagemaker:ModelApprovalStatus condition.",
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
        "The VPC endpoint has no endpoint policy.",
        "Without a policy an endpoint admits any principal and resource: the data perimeter needs one on each.",
        endpoint_has_policy,
    ),
}


class RoadwayChecks(NagPack):
    """The pack; registered beside the standard ones by :func:`stacks.compliance.rule_packs`."""

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
