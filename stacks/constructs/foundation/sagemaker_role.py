"""An execution role for SageMaker-run containers (endpoints, monitoring jobs), scoped by the caller."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from roadway.images import image_accounts
from stacks.compliance.gate import Reason, acknowledge_wildcards

IMAGE_REASON = Reason(
    "Repositories of the region's SageMaker image accounts and of this account only (roadway/images.py); "
    "repository names are chosen by the image owner."
)


def pass_to_sagemaker(sid: str, role_arns: Sequence[str]) -> iam.PolicyStatement:
    """iam:PassRole of ``role_arns`` to SageMaker alone (a job, a pipeline, an endpoint), no other service."""
    return iam.PolicyStatement(
        sid=sid,
        actions=["iam:PassRole"],
        resources=list(role_arns),
        conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    )


def image_repositories(stack: Stack) -> list[str]:
    """The only ECR repositories Roadway's roles may pull from: SageMaker's images for the region, and our own."""
    accounts = [*image_accounts(stack.region), stack.account]
    return [f"arn:aws:ecr:{stack.region}:{account}:repository/*" for account in accounts]


def sagemaker_log_groups(stack: Stack) -> str:
    """The log groups SageMaker's jobs, endpoints and apps write to, and nothing else in the account's logs."""
    return stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name="/aws/sagemaker/*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


class SageMakerRole(iam.Role):
    """Managed (not inline) policies only; each wildcard carries its reason to the compliance report."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        statements: Sequence[iam.PolicyStatement],
        wildcards: Mapping[str, Reason],
        in_vpc: bool,
        role_name: str | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=description,
            role_name=role_name,
        )
        stack = Stack.of(self)
        images = image_repositories(stack)
        logs = sagemaker_log_groups(stack)
        common = [
            iam.PolicyStatement(
                sid="PullImages",
                actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                resources=images,
            ),
            iam.PolicyStatement(sid="EcrToken", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
            iam.PolicyStatement(
                sid="WriteLogs",
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[logs],
            ),
            iam.PolicyStatement(
                sid="PublishSageMakerMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": ["aws/sagemaker/*", "/aws/sagemaker/*"]}},
            ),
        ]
        reasons = {
            **dict.fromkeys(images, IMAGE_REASON),
            logs: Reason(
                "SageMaker names endpoint and job log groups under /aws/sagemaker/; the grant is that prefix."
            ),
            "*": Reason(
                "GetAuthorizationToken and PutMetricData have no resource scope; metrics are namespace-limited."
            ),
        }
        if in_vpc:
            common.append(
                iam.PolicyStatement(
                    sid="AttachToTheVpc",
                    actions=[
                        "ec2:CreateNetworkInterface",
                        "ec2:CreateNetworkInterfacePermission",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DeleteNetworkInterfacePermission",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeVpcs",
                        "ec2:DescribeDhcpOptions",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeSecurityGroups",
                    ],
                    resources=["*"],
                )
            )
            reasons["*"] = Reason(
                "GetAuthorizationToken, PutMetricData (namespace-limited) and the EC2 describes have no resource "
                "type. The network-interface actions are on *, as in AWS's documented execution-role policy for "
                "SageMaker in a VPC: SageMaker, not Roadway's code, calls them to place the containers in the "
                "model's or job's own subnets and security group; Create/Delete NetworkInterface(Permission) take "
                "a network interface and could be scoped by ec2:Vpc, not done because whether SageMaker's calls "
                "meet that key cannot be shown offline (for roadway doctor on the account)."
            )
        policy = iam.ManagedPolicy(self, "Policy", description=description, statements=[*statements, *common])
        policy.attach_to_role(self)
        self.policy = policy
        """Resources SageMaker starts with this role must wait for it (the GetAtt only waits for the role)."""
        acknowledge_wildcards(
            policy,
            {**reasons, **wildcards},
        )
