"""A VPC with no route to the internet, and the private endpoints the road needs instead."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from roadway.config import PrefixLists

# Every stage: SageMaker control and data plane, identity, logs and metrics, images, keys, and the
# services the promotion Lambda calls (CloudFormation, SQS for its dead letters).
_COMMON_ENDPOINTS: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "SageMakerApi": ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
    "SageMakerRuntime": ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "Monitoring": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDkr": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Kms": ec2.InterfaceVpcEndpointAwsService.KMS,
    "CloudFormation": ec2.InterfaceVpcEndpointAwsService.CLOUDFORMATION,
    "Sqs": ec2.InterfaceVpcEndpointAwsService.SQS,
    "Sns": ec2.InterfaceVpcEndpointAwsService.SNS,
}
# Dev only: Studio's web UI and its notebook proxy.
_STUDIO_ENDPOINTS: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "SageMakerStudio": ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_STUDIO,
    "SageMakerNotebook": ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_NOTEBOOK,
}


_ECR_PULL = [
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchCheckLayerAvailability",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
]


def _allow(
    sid: str, actions: list[str], resources: list[str], conditions: dict[str, dict[str, list[str]]]
) -> iam.PolicyStatement:
    """An endpoint policy statement: endpoint policies name any principal and narrow it by condition."""
    return iam.PolicyStatement(
        sid=sid, principals=[iam.AnyPrincipal()], actions=actions, resources=resources, conditions=conditions or None
    )


class IsolatedNetwork(Construct):
    """Private isolated subnets only; AWS APIs are reached through VPC endpoints, never a NAT."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        availability_zones: list[str],
        log_archive: s3.IBucket,
        with_studio: bool,
        prefix_lists: PrefixLists,
        with_git: bool = False,
        with_models: bool = False,
        road_accounts: Sequence[str],
        image_accounts: Sequence[str],
    ) -> None:
        """``with_models``: the stage serves models, so the network holds their containers' one security group."""
        super().__init__(scope, construct_id)
        self.cidr = cidr
        self.prefix_lists = prefix_lists
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=availability_zones,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=20)
            ],
            restrict_default_security_group=True,
        )
        self.subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)

        # Flow logs go to the log archive bucket: no IAM role to scope, same retention as access logs.
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_s3(log_archive, "vpc-flow-logs/"),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )

        region = Stack.of(self).region
        road = sorted(road_accounts)
        # The data perimeter: every endpoint admits the road's own principals only, and the gateways only the road's
        # buckets and tables, plus what AWS itself serves to SageMaker (named below).
        of_the_road = {"StringEquals": {"aws:PrincipalAccount": road}}
        in_the_road = {"StringEquals": {"aws:PrincipalAccount": road, "aws:ResourceAccount": road}}
        self.gateways: dict[str, ec2.GatewayVpcEndpoint] = {}
        for name, service, prefix in (
            ("S3", ec2.GatewayVpcEndpointAwsService.S3, "s3"),
            ("DynamoDb", ec2.GatewayVpcEndpointAwsService.DYNAMODB, "dynamodb"),
        ):
            gateway = self.vpc.add_gateway_endpoint(name, service=service, subnets=[self.subnets])
            gateway.add_to_policy(_allow(f"TheRoads{name}Resources", [f"{prefix}:*"], ["*"], in_the_road))
            self.gateways[name] = gateway
        # ECR serves image layers from an AWS-owned bucket through the S3 gateway (pre-signed by ECR: the caller is
        # not one of ours). Without this, no SageMaker image would start in these subnets.
        self.gateways["S3"].add_to_policy(
            _allow("EcrImageLayers", ["s3:GetObject"], [f"arn:aws:s3:::prod-{region}-starport-layer-bucket/*"], {})
        )
        repositories = [f"arn:aws:ecr:{region}:{a}:repository/*" for a in sorted({*image_accounts, *road})]

        # The endpoints' own security group admits HTTPS from inside the VPC only. The CIDR is the literal
        # from config (not the VPC's token), so the compliance rules can judge it.
        self.endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="HTTPS from inside the VPC to AWS service endpoints",
            allow_all_outbound=False,
        )
        self.endpoint_security_group.add_ingress_rule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), "HTTPS from the VPC")
        endpoints = dict(_COMMON_ENDPOINTS)
        if with_studio:
            endpoints.update(_STUDIO_ENDPOINTS)
        if with_git:  # a team's CodeCommit repository, cloned into its members' spaces: the one Git host here
            endpoints["CodeCommitGit"] = ec2.InterfaceVpcEndpointAwsService.CODECOMMIT_GIT
        self.interfaces: dict[str, ec2.InterfaceVpcEndpoint] = {}
        for name, service in endpoints.items():
            endpoint = self.vpc.add_interface_endpoint(
                name,
                service=service,
                open=False,
                private_dns_enabled=True,
                security_groups=[self.endpoint_security_group],
                subnets=self.subnets,
            )
            if name.startswith("Ecr"):
                # Images only from the region's SageMaker image accounts and the road's own registries.
                endpoint.add_to_policy(_allow("AuthorizationToken", ["ecr:GetAuthorizationToken"], ["*"], of_the_road))
                endpoint.add_to_policy(_allow("PullAllowedImages", _ECR_PULL, repositories, of_the_road))
            elif name == "Sts":
                # Roles of the road's accounts only: a credential of ours cannot become one of another account's
                # here. (GetCallerIdentity names no resource, hence IfExists.)
                of_and_into_the_road = {**of_the_road, "StringEqualsIfExists": {"aws:ResourceAccount": road}}
                endpoint.add_to_policy(_allow("TheRoadsPrincipalsAndRoles", ["*"], ["*"], of_and_into_the_road))
            else:
                endpoint.add_to_policy(_allow("TheRoadsPrincipals", ["*"], ["*"], of_the_road))
            self.interfaces[name] = endpoint

        # Model and monitoring containers of every project: nothing in, HTTPS to the endpoints out. It lives here,
        # not in a serving stack, so the serving deployer's policy can demand this very group (and no other).
        self._model_containers: ec2.SecurityGroup | None = None
        if with_models:
            self._model_containers = ec2.SecurityGroup(
                self,
                "ModelContainers",
                vpc=self.vpc,
                allow_all_outbound=False,
                description="Model and monitoring containers: no inbound, HTTPS to VPC endpoints only",
            )
            self.allow_https_to_aws(self._model_containers)

    @property
    def model_containers(self) -> ec2.SecurityGroup:
        """The one security group of the stage's model and monitoring containers (a network ``with_models``)."""
        if self._model_containers is None:
            raise ValueError("this network serves no models: it holds no model containers' security group")
        return self._model_containers

    def allow_https_to_aws(self, group: ec2.SecurityGroup) -> None:
        """Egress to what this network offers instead of the internet: the interface endpoints (in the VPC's
        range) and the S3 and DynamoDB gateway endpoints (their services' prefix lists), on 443 only."""
        group.add_egress_rule(ec2.Peer.ipv4(self.cidr), ec2.Port.tcp(443), "AWS APIs via interface endpoints")
        group.add_egress_rule(
            ec2.Peer.prefix_list(self.prefix_lists.s3), ec2.Port.tcp(443), "S3 via its gateway endpoint"
        )
        group.add_egress_rule(
            ec2.Peer.prefix_list(self.prefix_lists.dynamodb), ec2.Port.tcp(443), "DynamoDB via its gateway endpoint"
        )

    @property
    def subnet_ids(self) -> list[str]:
        return self.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED).subnet_ids
