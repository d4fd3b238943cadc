"""IsolatedNetwork: isolated subnets in two zones, no route out (no NAT, no internet gateway), flow logs to the
archive, and a data perimeter on every endpoint: the road's principals, and through the gateways its resources."""

from __future__ import annotations

from tests import iam
from tests.stacks.constructs.bare import ACCOUNT, REGION, Network


def test_isolated_subnets_in_two_zones_and_no_way_out(network: Network) -> None:
    resources = network.template.to_json()["Resources"].values()
    kinds = [r["Type"] for r in resources]
    assert kinds.count("AWS::EC2::Subnet") == 2
    assert {r["Properties"]["AvailabilityZone"] for r in resources if r["Type"] == "AWS::EC2::Subnet"} == {
        f"{REGION}a",
        f"{REGION}b",
    }
    for absent in ("AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::EIP"):
        assert absent not in kinds, absent
    (flow,) = [r["Properties"] for r in resources if r["Type"] == "AWS::EC2::FlowLog"]
    assert (flow["LogDestinationType"], flow["TrafficType"]) == ("s3", "ALL")


def endpoint_statements(network: Network, service: str) -> list[dict[str, object]]:
    (endpoint,) = [
        r["Properties"]
        for r in network.template.find_resources("AWS::EC2::VPCEndpoint").values()
        if iam.render(r["Properties"]["ServiceName"]).endswith(f".{service}")
    ]
    return list(endpoint["PolicyDocument"]["Statement"])


def test_the_gateways_admit_the_roads_principals_to_the_roads_resources_only(network: Network) -> None:
    s3 = endpoint_statements(network, "s3")
    ours = {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": "222222222222"}
    assert iam.allowed(s3, "s3:GetObject", "arn:aws:s3:::roadway-data/x", ours)
    assert not iam.allowed(
        s3, "s3:GetObject", "arn:aws:s3:::elsewhere/x", {**ours, "aws:ResourceAccount": "999999999999"}
    )
    assert not iam.allowed(
        s3, "s3:PutObject", "arn:aws:s3:::roadway-data/x", {**ours, "aws:PrincipalAccount": "999999999999"}
    )
    layers = f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/sha256"
    assert iam.allowed(s3, "s3:GetObject", layers, {"aws:PrincipalAccount": "999999999999"}), "ECR's image layers"


def test_sts_admits_the_roads_principals_into_the_roads_roles_only(network: Network) -> None:
    sts = endpoint_statements(network, "sts")
    role = "arn:aws:iam::222222222222:role/roadway-test-reader"
    assert iam.allowed(
        sts, "sts:AssumeRole", role, {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": "222222222222"}
    )
    assert not iam.allowed(
        sts, "sts:AssumeRole", role, {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": "999999999999"}
    ), "a credential of ours cannot become another account's role here"
