"""What reaches what, read from the synthesized templates: moto checks no network path, so this does.

A workload in the VPC (Studio apps and the jobs they start, the promotion Lambdas, endpoints, monitoring jobs)
reaches an AWS service when all of these hold in the templates:
- interface service: an endpoint for it with private DNS in the workload's subnets; the workload's security
  groups allow 443 out to the endpoint (the VPC's range or the endpoint's group); the endpoint's group allows
  443 in from the workload (the VPC's range or the workload's group);
- gateway service (S3, DynamoDB): a gateway endpoint on the route tables of the workload's subnets, and an
  egress rule to the service's prefix list on 443;
- either way, the endpoint's policy admits a representative request of the workload's account (IAM rules,
  tests/iam.py).
Everything a group lets out that is not one of these is "something else", and there must be none.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from roadway.config import RoadwayConfig
from roadway.images import image_accounts
from tests import iam

Templates = Mapping[str, Mapping[str, Any]]

# Per service: how it is reached, and one request its users make (action, resource) for the endpoint policy.
SERVICES: dict[str, tuple[str, str, str]] = {
    "s3": ("gateway", "s3:GetObject", "arn:aws:s3:::roadway-artifacts/model.tar.gz"),
    "dynamodb": ("gateway", "dynamodb:PutItem", "arn:aws:dynamodb:{region}:{account}:table/ledger"),
    "sagemaker.api": ("interface", "sagemaker:DescribeModelPackage", "*"),
    "sts": ("interface", "sts:AssumeRole", "arn:aws:iam::{account}:role/roadway"),
    "logs": ("interface", "logs:PutLogEvents", "*"),
    "monitoring": ("interface", "cloudwatch:PutMetricData", "*"),
    "ecr.api": ("interface", "ecr:GetAuthorizationToken", "*"),
    "ecr.dkr": ("interface", "ecr:BatchGetImage", "arn:aws:ecr:{region}:{image_account}:repository/sagemaker"),
    "kms": ("interface", "kms:Decrypt", "*"),
    "cloudformation": ("interface", "cloudformation:UpdateStack", "*"),
    "sqs": ("interface", "sqs:SendMessage", "*"),
    "sns": ("interface", "sns:Publish", "*"),
}
IMAGE_SERVICES = {"s3", "ecr.api", "ecr.dkr"}  # a container image is pulled through these three


@dataclass
class Workload:
    """Something that runs in a stage's VPC, where its groups and subnets are defined, and what it must reach."""

    name: str
    stage: str
    stack: str
    groups: list[str]  # security-group logical IDs in ``group_stack``
    subnets: list[str]  # subnet logical IDs in the stage's platform stack
    needs: set[str] = field(default_factory=set)
    group_stack: str = ""  # where the groups are defined: ``stack`` unless they are the platform's, imported

    @property
    def groups_in(self) -> str:
        return self.group_stack or self.stack


def _platform(stage: str) -> str:
    return f"roadway-{stage}-platform"


def _subnet_ids(templates: Templates, stage: str, refs: list[Any]) -> list[str]:
    """Subnet logical IDs of the platform stack, from Refs or from imports of its outputs."""
    outputs = templates[_platform(stage)].get("Outputs", {})
    by_export = {o["Export"]["Name"]: o["Value"] for o in outputs.values() if "Export" in o}
    found = []
    for ref in refs:
        value = by_export.get(ref["Fn::ImportValue"], ref) if "Fn::ImportValue" in ref else ref
        found.append(value["Ref"])
    return found


def _group_ids(refs: list[Any]) -> list[str]:
    return [ref["Fn::GetAtt"][0] for ref in refs]


def groups_of(templates: Templates, stage: str, stack: str, refs: list[Any]) -> tuple[str, list[str]]:
    """Where a workload's groups are defined, and their logical IDs there: its own stack's, or the platform's
    (imported: the model containers' group lives with the network)."""
    if all("Fn::ImportValue" in ref for ref in refs):
        outputs = templates[_platform(stage)].get("Outputs", {})
        by_export = {o["Export"]["Name"]: o["Value"] for o in outputs.values() if "Export" in o}
        return _platform(stage), [by_export[ref["Fn::ImportValue"]]["Fn::GetAtt"][0] for ref in refs]
    return stack, _group_ids(refs)


def workloads(templates: Templates, config: RoadwayConfig) -> list[Workload]:
    found: list[Workload] = []
    studio = templates["roadway-dev-studio"]["Resources"]
    for domain in (r for r in studio.values() if r["Type"] == "AWS::SageMaker::Domain"):
        props = domain["Properties"]
        subnets = _subnet_ids(templates, "dev", props["SubnetIds"])
        groups = _group_ids(props["DefaultUserSettings"]["SecurityGroups"])
        # Notebooks, and the training and processing jobs IAM lets them start only with this group and subnets.
        needs = {"s3", "sagemaker.api", "sts", "logs", "monitoring", "kms", "ecr.api", "ecr.dkr"}
        found.append(Workload("Studio apps and their jobs", "dev", "roadway-dev-studio", groups, subnets, needs))
    for stage in ("dev", "test", "prod"):
        stack = f"roadway-{stage}-promotion"
        for logical_id, resource in templates[stack]["Resources"].items():
            if resource["Type"] == "AWS::Lambda::Function" and "VpcConfig" in resource["Properties"]:
                vpc = resource["Properties"]["VpcConfig"]
                needs = {"s3", "dynamodb", "sagemaker.api", "sts", "cloudformation", "sqs", "sns", "kms"}
                found.append(
                    Workload(
                        f"{stage} Lambda {logical_id}",
                        stage,
                        stack,
                        _group_ids(vpc["SecurityGroupIds"]),
                        _subnet_ids(templates, stage, vpc["SubnetIds"]),
                        needs,
                    )
                )
    for stage in ("test", "prod"):
        stack = f"roadway-{stage}-serving"
        for logical_id, resource in templates[stack]["Resources"].items():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::SageMaker::Model" and "VpcConfig" in props:
                vpc = props["VpcConfig"]
                needs = IMAGE_SERVICES | {"kms"}  # the image, the model artifact, its key; the container nothing
                name = f"{stage} endpoint model {logical_id}"
            elif resource["Type"] == "AWS::Lambda::Function" and "VpcConfig" in props:
                vpc = {
                    "SecurityGroupIds": props["VpcConfig"]["SecurityGroupIds"],
                    "Subnets": props["VpcConfig"]["SubnetIds"],
                }
                # Captures, baselines and reports in S3 (which decrypts them with KMS itself), and its metrics.
                needs = {"s3", "monitoring"}
                name = f"{stage} drift job {logical_id}"
            elif resource["Type"] == "AWS::SageMaker::DataQualityJobDefinition":
                vpc = props["NetworkConfig"]["VpcConfig"]
                needs = IMAGE_SERVICES | {"kms", "monitoring", "logs"}
                name = f"{stage} monitoring job {logical_id}"
            else:
                continue
            where, groups = groups_of(templates, stage, stack, vpc["SecurityGroupIds"])
            subnets = _subnet_ids(templates, stage, vpc["Subnets"])
            found.append(Workload(name, stage, stack, groups, subnets, needs, group_stack=where))
    return found


def _rules(templates: Templates, stack: str, group: str, direction: str) -> list[dict[str, Any]]:
    """A group's rules of one direction: inline, and the separate rule resources of any stack that name it."""
    key = "SecurityGroupEgress" if direction == "egress" else "SecurityGroupIngress"
    rules = list(templates[stack]["Resources"][group]["Properties"].get(key, []))
    rule_type = f"AWS::EC2::{key}"
    for resource in templates[stack]["Resources"].values():
        if resource["Type"] == rule_type and resource["Properties"]["GroupId"] == {"Fn::GetAtt": [group, "GroupId"]}:
            rules.append(resource["Properties"])
    return rules


def _covers_443(rule: Mapping[str, Any]) -> bool:
    return rule.get("IpProtocol") in ("tcp", "-1") and rule.get("FromPort", 0) <= 443 <= rule.get("ToPort", 65535)


def _cidr_covers(rule: Mapping[str, Any], cidr: str) -> bool:
    value = rule.get("CidrIp")
    return isinstance(value, str) and ipaddress.ip_network(cidr).subnet_of(ipaddress.ip_network(value))


def egress(templates: Templates, workload: Workload) -> Iterator[tuple[str, dict[str, Any]]]:
    for group in workload.groups:
        for rule in _rules(templates, workload.groups_in, group, "egress"):
            yield group, rule


def _policy_admits(
    endpoint: Mapping[str, Any], service: str, principal: str, owner: str, config: RoadwayConfig
) -> bool:
    document = endpoint["Properties"].get("PolicyDocument")
    if document is None:
        return False  # no policy is AWS's full-access default: outside the perimeter, so not counted as reachable
    _, action, resource = SERVICES[service]
    image_account = image_accounts(config.region)[0]
    resource = resource.format(region=config.region, account=owner, image_account=image_account)
    context: dict[str, str] = {"aws:PrincipalAccount": principal}
    if not resource.startswith("arn:aws:ecr"):
        context["aws:ResourceAccount"] = owner
    return iam.allowed(document["Statement"], action, resource, context)


def reaches(
    templates: Templates,
    config: RoadwayConfig,
    workload: Workload,
    service: str,
    *,
    principal: str | None = None,
    owner: str | None = None,
) -> str | None:
    """None when the workload reaches the service; otherwise the one reason it does not.

    The request is made by a principal of ``principal``'s account on a resource of ``owner``'s (both default to
    the workload's own account): the pull reads the previous account with its credentials, through this VPC."""
    platform = templates[_platform(workload.stage)]["Resources"]
    account = config.stage(workload.stage).account  # type: ignore[arg-type]
    cidr = config.stage(workload.stage).vpc_cidr  # type: ignore[arg-type]
    kind = SERVICES[service][0]
    endpoints = [
        (logical_id, r)
        for logical_id, r in platform.items()
        if r["Type"] == "AWS::EC2::VPCEndpoint"
        and iam.render(r["Properties"]["ServiceName"]).replace("<AWS::Region>", config.region)
        == f"com.amazonaws.{config.region}.{service}"
    ]
    if not endpoints:
        return f"no {service} endpoint in {_platform(workload.stage)}"
    (endpoint_id, endpoint) = endpoints[0]
    props = endpoint["Properties"]
    rules = list(egress(templates, workload))
    if kind == "gateway":
        tables = {
            r["Properties"]["RouteTableId"]["Ref"]
            for r in platform.values()
            if r["Type"] == "AWS::EC2::SubnetRouteTableAssociation"
            and r["Properties"]["SubnetId"]["Ref"] in workload.subnets
        }
        if not tables or not tables <= {t["Ref"] for t in props.get("RouteTableIds", [])}:
            return f"the {service} gateway is not on the route tables of the workload's subnets"
        prefix_list = getattr(config.prefix_lists, service)
        if not any(r.get("DestinationPrefixListId") == prefix_list and _covers_443(r) for _, r in rules):
            return f"no egress on 443 to {service}'s prefix list {prefix_list}"
    else:
        if props.get("PrivateDnsEnabled") is not True:
            return f"the {service} endpoint has no private DNS"
        placed = {s["Ref"] for s in props.get("SubnetIds", [])}
        if not set(workload.subnets) <= placed:
            return f"the {service} endpoint is not in the workload's subnets"
        endpoint_groups = _group_ids(props["SecurityGroupIds"])
        out_ok = any(
            _covers_443(r) and (_cidr_covers(r, cidr) or r.get("DestinationSecurityGroupId") in endpoint_groups)
            for _, r in rules
        )
        if not out_ok:
            return f"no egress on 443 to the {service} endpoint"
        ingress = [r for g in endpoint_groups for r in _rules(templates, _platform(workload.stage), g, "ingress")]
        in_ok = any(
            _covers_443(r) and (_cidr_covers(r, cidr) or r.get("SourceSecurityGroupId") in workload.groups)
            for r in ingress
        )
        if not in_ok:
            return f"the {service} endpoint's group admits no HTTPS from the workload ({endpoint_id})"
    principal, owner = principal or account, owner or account
    if not _policy_admits(endpoint, service, principal, owner, config):
        whose = "" if owner == principal else f" on a resource of {owner}"
        return f"the {service} endpoint's policy does not admit {SERVICES[service][1]} by account {principal}{whose}"
    return None


def something_else(templates: Templates, config: RoadwayConfig, workload: Workload) -> list[str]:
    """Egress that is neither an endpoint (the VPC's range or a gateway prefix list, on 443), NFS to Studio's
    home directories, nor the workload's own group."""
    cidr = config.stage(workload.stage).vpc_cidr  # type: ignore[arg-type]
    prefix_lists = {config.prefix_lists.s3, config.prefix_lists.dynamodb}
    extra = []
    for group, rule in egress(templates, workload):
        https = rule.get("IpProtocol") == "tcp" and rule.get("FromPort") == rule.get("ToPort") == 443
        nfs = rule.get("IpProtocol") == "tcp" and rule.get("FromPort") == rule.get("ToPort") == 2049
        if rule.get("CidrIp") == cidr and (https or nfs):
            continue
        if rule.get("DestinationPrefixListId") in prefix_lists and https:
            continue
        if rule.get("DestinationSecurityGroupId") == {"Fn::GetAtt": [group, "GroupId"]}:
            continue
        extra.append(f"{group}: {rule}")
    return extra
