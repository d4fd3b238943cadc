"""Acknowledgements whose reason is a property of the statement they excuse are held to it, mechanically.

``AwsSolutions-IAM5[Resource::*]`` is acknowledged with "these actions support no resource scope": AWS's Service
Authorization Reference (aws_facts/) says which do. Every action an acknowledged policy grants on ``*`` must have
no resource type there, but for the few in :data:`ON_STAR_ANYWAY`, each with why.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.synth import Synth
from tests import aws, iam

ROADS = ["synth", "two_projects_synth", "model_monitor_synth"]
NO_RESOURCE_SCOPE = "AwsSolutions-IAM5[Resource::*]"
# The one statement that may hold them (vpc_lambda.attach_to_the_vpc, sagemaker_role.SageMakerRole).
ENI_STATEMENT = "AttachToTheVpc"
_BY_THE_SERVICE = (
    "AWS's documented policy for this grants it on *, and the service, not Roadway's code, calls it to place its "
    "network interfaces in the subnets the function or job is configured with; ec2:Vpc could scope it, not done "
    "because whether the service's call meets that key cannot be shown offline (roadway doctor, on the account)"
)
# Actions that have a resource type yet are granted on "*", each with why (vpc_lambda.ENI_REASON, sagemaker_role).
ON_STAR_ANYWAY: dict[str, str] = {
    "ec2:CreateNetworkInterface": f"Lambda's and SageMaker's VPC access: {_BY_THE_SERVICE}",
    "ec2:DeleteNetworkInterface": f"Lambda's and SageMaker's VPC access: {_BY_THE_SERVICE}",
    "ec2:AssignPrivateIpAddresses": f"Lambda's VPC access (AWSLambdaVPCAccessExecutionRole): {_BY_THE_SERVICE}",
    "ec2:UnassignPrivateIpAddresses": f"Lambda's VPC access (AWSLambdaVPCAccessExecutionRole): {_BY_THE_SERVICE}",
    "ec2:CreateNetworkInterfacePermission": f"SageMaker's VPC access (its CreateModel, jobs): {_BY_THE_SERVICE}",
    "ec2:DeleteNetworkInterfacePermission": f"SageMaker's VPC access (its CreateModel, jobs): {_BY_THE_SERVICE}",
}


_FOUND: dict[Path, list[tuple[str, str, dict[str, Any]]]] = {}  # per synthesized road: read its assembly once


def acknowledged_on_star(synth: Synth) -> list[tuple[str, str, dict[str, Any]]]:
    """(construct path, reason, template resource) of every resource whose IAM5 ``Resource::*`` is acknowledged."""
    if synth.outdir not in _FOUND:
        _FOUND[synth.outdir] = list(_acknowledged_on_star(synth))
    return _FOUND[synth.outdir]


def _acknowledged_on_star(synth: Synth) -> Iterator[tuple[str, str, dict[str, Any]]]:
    assert synth.report is not None
    located: dict[str, tuple[str, str]] = {}  # construct path -> (stack name, logical ID)
    for manifest in synth.outdir.glob("assembly-*/manifest.json"):
        for artifact in json.loads(manifest.read_text())["artifacts"].values():
            if artifact.get("type") != "aws:cloudformation:stack":
                continue
            metadata = json.loads((manifest.parent / artifact["additionalMetadataFile"]).read_text())
            for path, entries in metadata.items():
                for entry in entries:
                    if entry["type"] == "aws:cdk:logicalId":
                        located[path.lstrip("/")] = (artifact["properties"]["stackName"], entry["data"])
    for plugin in synth.report["pluginReports"]:
        for finding in plugin["suppressedViolations"]:
            if finding["ruleName"] != NO_RESOURCE_SCOPE:
                continue
            for construct in finding["violatingConstructs"]:
                stack, logical_id = located[construct["constructPath"]]
                yield construct["constructPath"], finding["reason"], synth.templates[stack]["Resources"][logical_id]


def granted_on_star(resource: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(statement id, action) of every action an identity policy of ``resource`` allows on ``*`` (wildcards in the
    action expanded over the extract; a trust policy is not an identity policy)."""
    properties = {k: v for k, v in resource["Properties"].items() if k != "AssumeRolePolicyDocument"}
    for _, statement in iam.statements_of(properties, "policy"):
        if statement["Effect"] != "Allow" or "*" not in iam.listed(statement.get("Resource", [])):
            continue
        assert "NotAction" not in statement, statement
        for pattern in iam.listed(statement["Action"]):
            for action in aws.actions_matching(pattern):
                yield str(statement.get("Sid", "")), action


def scoped_on_star(acknowledged: Iterable[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """What an acknowledged policy grants on * although AWS lets it be scoped, and the list does not excuse."""
    found = []
    for path, _, resource in acknowledged:
        for sid, action in granted_on_star(resource):
            types = aws.action(action)[1]["resource_types"]
            if not types:
                continue
            if action in ON_STAR_ANYWAY and sid == ENI_STATEMENT:
                continue
            found.append(f"{path} [{sid}]: {action} takes {', '.join(types)}")
    return sorted(set(found))


@pytest.mark.parametrize("road", ROADS)
def test_what_is_acknowledged_as_unscopable_has_no_resource_type(road: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(road)
    assert scoped_on_star(acknowledged_on_star(synth)) == []


def test_the_proof_reads_the_acknowledged_policies(synth: Synth) -> None:
    """It finds the deployer's, the promoter's and the serving role's policies (not nothing, which would pass)."""
    paths = {path for path, _, _ in acknowledged_on_star(synth)}
    for expected in (
        "Prod/Promotion/Target/ServingDeployerPolicy/Resource",
        "Prod/Promotion/Promoter/Policy/Resource",
        "Prod/Serving/Endpoint/ExecutionRole/Policy/Resource",
        "Prod/Serving/DriftMonitor/Policy/Resource",
    ):
        assert expected in paths
    actions = {a for _, _, resource in acknowledged_on_star(synth) for _, a in granted_on_star(resource)}
    assert "ec2:DescribeSubnets" in actions and "ec2:CreateNetworkInterface" in actions


def test_the_proof_fails_on_a_scopable_action_on_star(synth: Synth) -> None:
    """The deployer's policy given RegisterScalableTarget on * again (as before it was scoped) is refused, and so is
    an excused ENI action outside the VPC statement."""
    deployer = "Prod/Promotion/Target/ServingDeployerPolicy/Resource"
    ((_, reason, resource),) = [found for found in acknowledged_on_star(synth) if found[0] == deployer]
    for sid, action in (("NoResourceScope", "application-autoscaling:RegisterScalableTarget"),
                        ("NoResourceScope", "ec2:CreateNetworkInterface")):
        widened = json.loads(json.dumps(resource))
        widened["Properties"]["PolicyDocument"]["Statement"].append(
            {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": "*"}
        )
        assert scoped_on_star([(deployer, reason, widened)]) == [f"{deployer} [{sid}]: {action} takes " + ", ".join(
            aws.action(action)[1]["resource_types"])]


@pytest.mark.parametrize("action", ON_STAR_ANYWAY)
def test_each_exception_has_a_resource_type_a_reason_and_is_used(synth: Synth, action: str) -> None:
    assert aws.action(action)[1]["resource_types"], f"{action} has no resource type: it needs no exception"
    assert len(ON_STAR_ANYWAY[action]) > 80
    granted = {
        a
        for _, _, resource in acknowledged_on_star(synth)
        for sid, a in granted_on_star(resource)
        if sid == ENI_STATEMENT
    }
    assert action in granted, f"{action} is no longer granted on *: drop it from ON_STAR_ANYWAY"


def test_a_wildcard_resource_is_acknowledged_through_one_helper_that_spells_its_finding_id() -> None:
    """cdk-nag's IAM5 id for a resource is spelled once (gate.acknowledge_wildcards, from the resource as the
    statement names it): a construct hand-building ``AwsSolutions-IAM5[Resource::...]`` could drift from the
    resource it excuses and leave the finding open, or a stale acknowledgement behind."""
    from devtools.synth import ROOT

    spelled = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "stacks").rglob("*.py")
        if "AwsSolutions-IAM5[Resource::" in path.read_text()
    ]
    assert spelled == ["stacks/compliance/gate.py"]
