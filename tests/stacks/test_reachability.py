"""Every workload in a VPC reaches each AWS service it needs and nothing else, by the templates; and the proof
fails when one egress rule or one endpoint-policy statement is taken away."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from devtools.moto_accounts import function_with
from devtools.synth import Synth
from roadway.config import RoadwayConfig
from tests.stacks import reachability
from tests.stacks.reachability import Workload


@pytest.fixture(scope="module")
def found(synth: Synth, config: RoadwayConfig) -> list[Workload]:
    return reachability.workloads(synth.templates, config)


def test_every_kind_of_workload_is_found(found: list[Workload]) -> None:
    names = " | ".join(w.name for w in found)
    for kind in ("Studio apps", "dev Lambda", "test Lambda", "prod endpoint model", "prod drift job"):
        assert kind in names, names
    assert not any(w.name.startswith("test endpoint") for w in found), "test serves serverless: no VPC (see below)"


def test_each_workload_reaches_what_it_needs(synth: Synth, config: RoadwayConfig, found: list[Workload]) -> None:
    unreachable = {
        (w.name, service): why
        for w in found
        for service in sorted(w.needs)
        if (why := reachability.reaches(synth.templates, config, w, service)) is not None
    }
    assert unreachable == {}


def test_and_nothing_else(synth: Synth, config: RoadwayConfig, found: list[Workload]) -> None:
    assert {w.name: reachability.something_else(synth.templates, config, w) for w in found} == {
        w.name: [] for w in found
    }


def test_no_security_group_allows_the_internet(synth: Synth) -> None:
    for stack, template in synth.templates.items():
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] != "AWS::EC2::SecurityGroup":
                continue
            for rule in resource["Properties"].get("SecurityGroupEgress", []):
                assert rule.get("CidrIp") != "0.0.0.0/0" or rule.get("IpProtocol") == "icmp", (stack, logical_id)
                assert "CidrIpv6" not in rule, (stack, logical_id)


def _lambda_group(templates: dict[str, Any], stage: str = "dev") -> str:
    function = function_with(templates[f"roadway-{stage}-promotion"], "promote_model.handler.handler")
    return str(function["Properties"]["VpcConfig"]["SecurityGroupIds"][0]["Fn::GetAtt"][0])


def _promoter_of(templates: dict[str, Any], config: RoadwayConfig, stage: str) -> Workload:
    return next(
        w
        for w in reachability.workloads(templates, config)
        if w.stack == f"roadway-{stage}-promotion" and w.groups == [_lambda_group(templates, stage)]
    )


def _promoter(templates: dict[str, Any], config: RoadwayConfig) -> Workload:
    return _promoter_of(templates, config, "dev")


def test_without_the_s3_prefix_list_rule_s3_is_unreachable(synth: Synth, config: RoadwayConfig) -> None:
    templates = copy.deepcopy(synth.templates)
    resources = templates["roadway-dev-promotion"]["Resources"]
    removed = [
        logical_id
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::EC2::SecurityGroupEgress"
        and r["Properties"].get("DestinationPrefixListId") == config.prefix_lists.s3
    ]
    assert len(removed) == 1
    del resources[removed[0]]
    why = reachability.reaches(templates, config, _promoter(templates, config), "s3")
    assert why == f"no egress on 443 to s3's prefix list {config.prefix_lists.s3}"
    assert reachability.reaches(templates, config, _promoter(templates, config), "dynamodb") is None


def test_without_the_vpc_range_rule_no_interface_endpoint_is_reachable(synth: Synth, config: RoadwayConfig) -> None:
    templates = copy.deepcopy(synth.templates)
    group = templates["roadway-dev-promotion"]["Resources"][_lambda_group(templates)]["Properties"]
    group["SecurityGroupEgress"] = [r for r in group["SecurityGroupEgress"] if "CidrIp" not in r]
    assert reachability.reaches(templates, config, _promoter(templates, config), "sts") == (
        "no egress on 443 to the sts endpoint"
    )


def test_without_its_policy_statement_an_endpoint_admits_nobody(synth: Synth, config: RoadwayConfig) -> None:
    templates = copy.deepcopy(synth.templates)
    for resource in templates["roadway-dev-platform"]["Resources"].values():
        if resource["Type"] == "AWS::EC2::VPCEndpoint" and str(resource["Properties"]["ServiceName"]).endswith(".sts"):
            resource["Properties"]["PolicyDocument"]["Statement"] = []
    why = reachability.reaches(templates, config, _promoter(templates, config), "sts")
    assert why == "the sts endpoint's policy does not admit sts:AssumeRole by account 111111111111"


def test_an_account_outside_the_road_is_kept_out_by_every_endpoint(synth: Synth, config: RoadwayConfig) -> None:
    from tests import iam

    for stack in ("roadway-dev-platform", "roadway-test-platform", "roadway-prod-platform"):
        for logical_id, resource in synth.resources(stack, "AWS::EC2::VPCEndpoint").items():
            statements = resource["Properties"]["PolicyDocument"]["Statement"]
            for action, target in (("s3:PutObject", "arn:aws:s3:::exfil/x"), ("sts:AssumeRole", "*")):
                outsider = {"aws:PrincipalAccount": "999999999999", "aws:ResourceAccount": "999999999999"}
                assert not iam.allowed(statements, action, target, outsider), (stack, logical_id, action)
            if resource["Properties"].get("VpcEndpointType") != "Gateway":
                continue  # S3 and DynamoDB requests only ever take the gateways
            insider_to_outside = {
                "aws:PrincipalAccount": config.stages.dev.account,
                "aws:ResourceAccount": "999999999999",
            }
            for action in ("s3:PutObject", "dynamodb:PutItem"):
                assert not iam.allowed(statements, action, "arn:aws:s3:::exfil/x", insider_to_outside), logical_id


def test_images_come_only_from_sagemaker_and_the_road(synth: Synth, config: RoadwayConfig) -> None:
    from roadway.images import image_accounts
    from tests import iam

    inside = {"aws:PrincipalAccount": config.stages.prod.account}
    for resource in synth.resources("roadway-prod-platform", "AWS::EC2::VPCEndpoint").values():
        if not str(resource["Properties"]["ServiceName"]).endswith(".ecr.dkr"):
            continue
        statements = resource["Properties"]["PolicyDocument"]["Statement"]
        for account in [*image_accounts(config.region), config.stages.prod.account]:
            repository = f"arn:aws:ecr:{config.region}:{account}:repository/any"
            assert iam.allowed(statements, "ecr:BatchGetImage", repository, inside), account
        stranger = f"arn:aws:ecr:{config.region}:999999999999:repository/cryptominer"
        assert not iam.allowed(statements, "ecr:BatchGetImage", stranger, inside)


def test_outside_any_vpc_and_why(synth: Synth, config: RoadwayConfig) -> None:
    """What runs without a VPC, each with its reason; a new one fails here until it is listed."""
    reasons = {
        "Custom::VpcRestrictDefaultSGCustomResourceProvider": (
            "CDK's deploy-time handler that strips the default security group's rules; it only calls the EC2 API"
        ),
    }
    outside = set()
    for template in synth.templates.values():
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] == "AWS::Lambda::Function" and "VpcConfig" not in resource["Properties"]:
                outside.add(logical_id.rstrip("0123456789ABCDEF"))
            if resource["Type"] == "AWS::Serverless::Function" or resource["Type"].startswith("AWS::Lambda::Url"):
                outside.add(logical_id)
    assert outside <= {name.removeprefix("Custom::") for name in reasons} | {
        "CustomVpcRestrictDefaultSGCustomResourceProviderHandler"
    }, outside
    serverless = [
        r
        for r in synth.resources("roadway-test-serving", "AWS::SageMaker::EndpointConfig").values()
        if "ServerlessConfig" in r["Properties"]["ProductionVariants"][0]
    ]
    assert config.projects[0].stages.test.serving.serverless == bool(serverless), (
        "test's serverless endpoint has no VPC by SageMaker's design; docs/threat-model.md says what that means"
    )


# The pull: the receiving promoter reaches the previous account through its own VPC's endpoints — with its own
# credentials (STS to assume the reader role, S3 to copy), and with the reader's (registry, seal, stack outputs).
PULL = (
    ("sts", "own", "previous"),
    ("s3", "own", "previous"),
    ("sagemaker.api", "previous", "previous"),
    ("dynamodb", "previous", "previous"),
    ("cloudformation", "previous", "previous"),
)


@pytest.mark.parametrize(("stage", "previous"), [("test", "dev"), ("prod", "test")])
def test_the_pull_reaches_the_previous_account_through_this_vpc(
    synth: Synth, config: RoadwayConfig, stage: str, previous: str
) -> None:
    accounts = {"own": config.stage(stage).account, "previous": config.stage(previous).account}  # type: ignore[arg-type]
    promoter = _promoter_of(synth.templates, config, stage)
    for service, principal, owner in PULL:
        why = reachability.reaches(
            synth.templates, config, promoter, service, principal=accounts[principal], owner=accounts[owner]
        )
        assert why is None, (service, why)


def test_prods_endpoints_admit_nothing_of_dev(synth: Synth, config: RoadwayConfig) -> None:
    """Prod pulls from test only: dev's principals and resources are outside prod's perimeter."""
    promoter = _promoter_of(synth.templates, config, "prod")
    dev = config.stages.dev.account
    for service, principal, _ in PULL:
        as_dev = {"principal": dev if principal == "previous" else config.stages.prod.account, "owner": dev}
        why = reachability.reaches(synth.templates, config, promoter, service, **as_dev)
        assert why is not None and "policy does not admit" in why, service
