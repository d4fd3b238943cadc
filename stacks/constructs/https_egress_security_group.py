"""A security group for workloads that accept nothing and reach AWS only through the VPC's endpoints."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct


class HttpsEgressSecurityGroup(ec2.SecurityGroup):
    """No inbound rule; outbound HTTPS to the VPC's own range (the literal CIDR, so rules can judge it)."""

    def __init__(self, scope: Construct, construct_id: str, *, vpc: ec2.IVpc, vpc_cidr: str, description: str) -> None:
        super().__init__(scope, construct_id, vpc=vpc, allow_all_outbound=False, description=description)
        self.add_egress_rule(ec2.Peer.ipv4(vpc_cidr), ec2.Port.tcp(443), "AWS APIs via VPC endpoints")
