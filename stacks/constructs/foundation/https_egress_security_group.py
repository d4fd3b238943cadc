"""A security group for workloads that accept nothing and reach AWS only through the VPC's endpoints."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from stacks.constructs.foundation.isolated_network import IsolatedNetwork


class HttpsEgressSecurityGroup(ec2.SecurityGroup):
    """No inbound rule; outbound HTTPS to the network's endpoints only.

    Interface endpoints sit in the VPC's range; S3 and DynamoDB are reached through gateway endpoints, whose
    addresses are the services' prefix lists. A rule limited to the VPC's range would silently block model
    downloads, artifact copies and the promotion ledger; a rule to ``0.0.0.0/0`` would admit whatever route
    the subnets gain later. Naming the prefix lists admits exactly the gateways.
    """

    def __init__(self, scope: Construct, construct_id: str, *, network: IsolatedNetwork, description: str) -> None:
        super().__init__(scope, construct_id, vpc=network.vpc, allow_all_outbound=False, description=description)
        network.allow_https_to_aws(self)
