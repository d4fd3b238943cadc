"""HttpsEgressSecurityGroup: nothing in; out, HTTPS to the VPC's interface endpoints and the S3 and DynamoDB
gateways (their prefix lists), and nowhere else."""

from __future__ import annotations

from tests.stacks.constructs.bare import Network


def test_no_inbound_and_https_only_to_the_endpoints(network: Network) -> None:
    resources = network.template.to_json()["Resources"]
    group = resources[network.workload]["Properties"]
    own = {"Fn::GetAtt": [network.workload, "GroupId"]}
    assert "SecurityGroupIngress" not in group
    assert not [
        r
        for r in resources.values()
        if r["Type"] == "AWS::EC2::SecurityGroupIngress" and r["Properties"]["GroupId"] == own
    ]
    rules = group["SecurityGroupEgress"] + [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::EC2::SecurityGroupEgress" and r["Properties"]["GroupId"] == own
    ]
    egress = {
        (r.get("CidrIp") or r.get("DestinationPrefixListId"), r["IpProtocol"], r["FromPort"], r["ToPort"])
        for r in rules
    }
    assert egress == {
        ("10.20.0.0/16", "tcp", 443, 443),
        ("pl-6da54004", "tcp", 443, 443),
        ("pl-b3a742da", "tcp", 443, 443),
    }
