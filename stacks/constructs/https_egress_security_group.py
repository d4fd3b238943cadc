"""A security group for workloads that accept nothing and reach AWS only through the VPC's endpoints."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct


class HttpsEgressSecurityGroup(ec2.SecurityGroup):
    """No inbound rule; outbound HTTPS only.

    Interface endpoints sit in the VPC's range. S3 and DynamoDB are reached through gateway endpoints, whose
    addresses are the services' public prefix lists, so a rule limited to the VPC's range would silently block
    model downloads, artifact copies and the promotion ledger. The subnets are isolated (no internet or NAT
    route), so port 443 to any address reaches nothing but those endpoints.
    """

    def __init__(self, scope: Construct, construct_id: str, *, vpc: ec2.IVpc, vpc_cidr: str, description: str) -> None:
        super().__init__(scope, construct_id, vpc=vpc, allow_all_outbound=False, description=description)
        self.add_egress_rule(ec2.Peer.ipv4(vpc_cidr), ec2.Port.tcp(443), "AWS APIs via interface endpoints")
        self.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "S3 and DynamoDB via gateway endpoints (isolated subnets)"
        )
