"""A stage's side of receiving: its own promoter pulls approved packages from the previous account.

Nothing here trusts the previous account to act: it may only put approval events on this account's bus. This
account's promoter reads the package through the previous account's reader role, copies with its own
credentials, registers here and updates its own serving stack through a CloudFormation service role.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct
from promote_model.artifacts import PROMOTED_PREFIX

from roadway.compliance import acknowledge, nag_resource
from stacks.constructs.encryption_key import through
from stacks.constructs.isolated_network import IsolatedNetwork
from stacks.constructs.model_promoter import APPROVAL_EVENT, ModelPromoter, package_state_change


class PromotionTarget(Construct):
    """The promoter may read the previous account's artifacts, write this account's bucket under ``promoted/``,
    register in its group, and update its serving stack; approvals of the previous account reach it by bus.

    The stack update goes through a CloudFormation service role scoped to the serving resources, so the
    promoter can change the endpoint only the way the serving template allows.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        promoter: ModelPromoter,
        deployer_role_name: str,
        source_account: str,
        source_reader_role_arn: str,
        group_name: str,
        group_arn: str,
        packages_arn: str,
        serving_stack_name: str,
        endpoint_name: str,
        artifact_bucket: s3.IBucket,
        artifact_key: kms.IKey,
        data_key: kms.IKey,
        hardened: IsolatedNetwork | None,
        arrival_status: str,
        drift_role_arn: str | None = None,
    ) -> None:
        """``hardened``: the network whose subnets every model, endpoint config and monitoring job of an
        instance-backed stage must use; None for a serverless stage, which SageMaker cannot isolate.
        ``drift_role_arn``: Roadway's drift job watches the endpoint; a promotion points it at the new baseline."""
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        region, account = stack.region, stack.account

        self.deployer = iam.Role(
            self,
            "ServingDeployer",
            role_name=deployer_role_name,
            assumed_by=iam.ServicePrincipal("cloudformation.amazonaws.com"),
            description=f"Roadway: CloudFormation applies promotions to {serving_stack_name} with this role",
        )

        def sm(resource: str) -> str:
            return f"arn:aws:sagemaker:{region}:{account}:{resource}"

        serving_roles = f"arn:aws:iam::{account}:role/{serving_stack_name}-*"
        deployer_policy = iam.ManagedPolicy(
            self,
            "ServingDeployerPolicy",
            description="Roadway: only the resources of the serving stack",
            roles=[self.deployer],
            statements=[
                iam.PolicyStatement(
                    sid="ServingResources",
                    actions=[
                        *([] if hardened else ["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig"]),
                        "sagemaker:DeleteModel",
                        "sagemaker:DescribeModel",
                        "sagemaker:DeleteEndpointConfig",
                        "sagemaker:DescribeEndpointConfig",
                        "sagemaker:CreateEndpoint",
                        "sagemaker:UpdateEndpoint",
                        "sagemaker:DeleteEndpoint",
                        "sagemaker:DescribeEndpoint",
                        *([] if hardened else ["sagemaker:CreateDataQualityJobDefinition"]),
                        "sagemaker:DeleteDataQualityJobDefinition",
                        "sagemaker:DescribeDataQualityJobDefinition",
                        "sagemaker:CreateMonitoringSchedule",
                        "sagemaker:UpdateMonitoringSchedule",
                        "sagemaker:DeleteMonitoringSchedule",
                        "sagemaker:DescribeMonitoringSchedule",
                        "sagemaker:AddTags",
                        "sagemaker:DeleteTags",
                        "sagemaker:ListTags",
                    ],
                    resources=[
                        sm("model/*"),
                        sm("endpoint-config/*"),
                        sm(f"endpoint/{endpoint_name}"),
                        sm("data-quality-job-definition/*"),
                        sm(f"monitoring-schedule/{endpoint_name}-*"),
                    ],
                ),
                *self._hardened_creation(sm, hardened, data_key),
                iam.PolicyStatement(
                    sid="ModelFromPackage", actions=["sagemaker:DescribeModelPackage"], resources=[packages_arn]
                ),
                iam.PolicyStatement(
                    sid="PassServingRoles",
                    actions=["iam:PassRole"],
                    resources=[serving_roles],
                    conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                ),
                *self._drift_job(region, account, serving_stack_name, drift_role_arn),
                iam.PolicyStatement(
                    sid="EncryptedEndpointStorage",
                    actions=["kms:CreateGrant"],
                    resources=[data_key.key_arn],
                    conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
                ),
                iam.PolicyStatement(
                    sid="DescribeStorageKey", actions=["kms:DescribeKey"], resources=[data_key.key_arn]
                ),
                iam.PolicyStatement(
                    sid="NoResourceScope",
                    actions=[
                        "application-autoscaling:RegisterScalableTarget",
                        "application-autoscaling:DeregisterScalableTarget",
                        "application-autoscaling:DescribeScalableTargets",
                        "application-autoscaling:PutScalingPolicy",
                        "application-autoscaling:DeleteScalingPolicy",
                        "application-autoscaling:DescribeScalingPolicies",
                        "cloudwatch:DescribeAlarms",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeVpcs",
                    ],
                    resources=["*"],
                ),
            ],
        )
        generated = "Names are generated by CloudFormation per version; scoped to this account and resource type."
        acknowledge(
            deployer_policy,
            {
                **{
                    f"AwsSolutions-IAM5[Resource::{nag_resource(self, sm(r))}]": generated
                    for r in ("model/*", "endpoint-config/*", "data-quality-job-definition/*")
                },
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, sm(f'monitoring-schedule/{endpoint_name}-*'))}]": (
                    "The endpoint's own monitoring schedule only."
                ),
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, packages_arn)}]": (
                    "Versions of this account's group: a model is created from whichever version is promoted."
                ),
                **self._drift_job_reasons(region, account, serving_stack_name, drift_role_arn),
                f"AwsSolutions-IAM5[Resource::{serving_roles}]": (
                    "Roles of the serving stack only (CloudFormation prefixes generated role names with the stack "
                    "name), passed to SageMaker only."
                ),
                "AwsSolutions-IAM5[Resource::*]": (
                    "Application Auto Scaling, alarm and VPC describe actions support no resource scope."
                ),
            },
        )

        source_objects = "arn:aws:s3:::*/*"
        source_keys = f"arn:aws:kms:{region}:{source_account}:key/*"
        promoted = artifact_bucket.arn_for_objects(f"{PROMOTED_PREFIX}/*")
        serving_stack = f"arn:aws:cloudformation:{region}:{account}:stack/{serving_stack_name}/*"
        policy = iam.ManagedPolicy(
            self,
            "ReceivePolicy",
            description="Roadway: what this account's promoter may do to take in the previous stage's packages",
            roles=[promoter.role],
            statements=[
                iam.PolicyStatement(
                    sid="AssumeThePreviousStagesReader",
                    actions=["sts:AssumeRole"],
                    resources=[source_reader_role_arn],
                ),
                iam.PolicyStatement(
                    sid="CopyFromThePreviousStagesBuckets",
                    actions=["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectTagging"],
                    resources=[source_objects],
                    conditions={"StringEquals": {"s3:ResourceAccount": source_account}},
                ),
                iam.PolicyStatement(
                    sid="DecryptThePreviousStagesArtifacts",
                    actions=["kms:Decrypt", "kms:DescribeKey"],
                    resources=[source_keys],
                    conditions=through("s3", self),
                ),
                iam.PolicyStatement(
                    sid="WritePromotedArtifacts",
                    actions=[
                        "s3:PutObject",
                        "s3:GetObject",
                        "s3:GetObjectAttributes",
                        "s3:DeleteObject",
                        "s3:AbortMultipartUpload",
                        "s3:ListMultipartUploadParts",
                    ],
                    resources=[promoted],
                ),
                iam.PolicyStatement(
                    sid="FindPromotedArtifacts", actions=["s3:ListBucket"], resources=[artifact_bucket.bucket_arn]
                ),
                iam.PolicyStatement(
                    sid="EncryptPromotedArtifacts",
                    actions=["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
                    resources=[artifact_key.key_arn],
                ),
                iam.PolicyStatement(
                    sid="RegisterOnlyWithTheArrivalStatus",  # pending where someone approves next, else Approved
                    actions=["sagemaker:CreateModelPackage"],
                    resources=[group_arn, packages_arn],
                    conditions={"StringEquals": {"sagemaker:ModelApprovalStatus": arrival_status}},
                ),
                iam.PolicyStatement(
                    sid="RegisterInThisGroup",
                    actions=[
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:ListModelPackages",
                        "sagemaker:DeleteModelPackage",
                        "sagemaker:DescribeModelPackageGroup",
                        "sagemaker:AddTags",
                    ],
                    resources=[group_arn, packages_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadServingStack", actions=["cloudformation:DescribeStacks"], resources=[serving_stack]
                ),
                iam.PolicyStatement(
                    sid="UpdateServingStackThroughItsRole",
                    actions=["cloudformation:UpdateStack"],
                    resources=[serving_stack],
                    conditions={"StringEquals": {"cloudformation:RoleArn": self.deployer.role_arn}},
                ),
                iam.PolicyStatement(
                    sid="HandTheDeployerRoleToCloudFormation",
                    actions=["iam:PassRole"],
                    resources=[self.deployer.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
                ),
            ],
        )
        acknowledge(
            policy,
            {
                f"AwsSolutions-IAM5[Resource::{source_objects}]": (
                    "The previous stage's bucket name is generated in another account; s3:ResourceAccount limits "
                    "reads to buckets that account owns, and its bucket policy admits this role only "
                    "(test_next_stage_may_read_artifacts_and_nothing_else)."
                ),
                f"AwsSolutions-IAM5[Resource::{source_keys}]": (
                    "The previous stage's key lives in another account; decryption only through S3 (kms:ViaService)."
                ),
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, promoted)}]": (
                    "Promoted artifacts only, under the promoted/ prefix of this account's artifact bucket."
                ),
                f"AwsSolutions-IAM5[Resource::{nag_resource(self, packages_arn)}]": (
                    "Versions of this account's group only; the version number is assigned at registration."
                ),
                f"AwsSolutions-IAM5[Resource::{serving_stack}]": (
                    "The serving stack's ARN ends in a generated stack id; the name is fixed."
                ),
            },
        )

        # The previous account announces its approvals on this account's default bus: PutEvents of SageMaker
        # package state changes is all it may do here, and only the rule below acts on them.
        events.CfnEventBusPolicy(
            self,
            "AcceptApprovals",
            statement_id=f"roadway-approvals-from-{source_account}",
            statement={
                "Sid": f"roadway-approvals-from-{source_account}",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{source_account}:root"},
                "Action": "events:PutEvents",
                "Resource": f"arn:aws:events:{region}:{account}:event-bus/default",
                "Condition": {"StringEquals": {"events:source": "aws.sagemaker", "events:detail-type": APPROVAL_EVENT}},
            },
        )
        self.approvals = events.Rule(
            self,
            "PullApprovals",
            description=f"Approvals in {group_name} of {source_account}: this account's promoter pulls them",
            event_pattern=package_state_change(source_account, group_name, "Approved"),
            targets=[promoter.work_for(group_name)],
        )
        # Break-glass: a rejection in this account's registry (the break-glass role may set nothing else) makes
        # the promoter withdraw that package from serving, record who did it and page.
        self.withdrawals = events.Rule(
            self,
            "BreakGlassWithdrawals",
            description=f"Rejections in {group_name} here: the promoter withdraws the package if it is served",
            event_pattern=package_state_change(account, group_name, "Rejected"),
            targets=[promoter.work_for(group_name)],
        )
        promoter.record_rollbacks(serving_stack_name)

    @staticmethod
    def _drift_resources(region: str, account: str, stack_name: str) -> tuple[str, str, str]:
        """The drift job's function, schedule and layer: named by CloudFormation (or Names) after the stack."""
        return (
            f"arn:aws:lambda:{region}:{account}:function:{stack_name}-*",
            f"arn:aws:events:{region}:{account}:rule/{stack_name}-*",
            f"arn:aws:lambda:{region}:{account}:layer:{stack_name}-*",
        )

    def _drift_job(
        self, region: str, account: str, stack_name: str, drift_role_arn: str | None
    ) -> list[iam.PolicyStatement]:
        """A promotion changes the drift job's environment (the served package and its baseline) and turns its
        schedule on; nothing here lets a template change the job's code or publish a layer."""
        if drift_role_arn is None:
            return []
        function, rule, layer = self._drift_resources(region, account, stack_name)
        return [
            iam.PolicyStatement(
                sid="DriftJobFollowsTheServedPackage",
                actions=[
                    "lambda:UpdateFunctionConfiguration",
                    "lambda:GetFunction",
                    "lambda:GetFunctionConfiguration",
                    "lambda:ListTags",
                ],
                resources=[function],
            ),
            iam.PolicyStatement(
                sid="DriftJobKeepsItsLayer", actions=["lambda:GetLayerVersion"], resources=[f"{layer}:*"]
            ),
            iam.PolicyStatement(
                sid="DriftScheduleFollowsTheServedPackage",
                actions=["events:PutRule", "events:DescribeRule", "events:ListTargetsByRule"],
                resources=[rule],
            ),
            iam.PolicyStatement(
                sid="PassTheDriftRole",
                actions=["iam:PassRole"],
                resources=[drift_role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
            ),
        ]

    def _drift_job_reasons(
        self, region: str, account: str, stack_name: str, drift_role_arn: str | None
    ) -> dict[str, str]:
        if drift_role_arn is None:
            return {}
        function, rule, layer = self._drift_resources(region, account, stack_name)
        reason = "The serving stack's own drift job, named by CloudFormation after the stack."
        return {f"AwsSolutions-IAM5[Resource::{arn}]": reason for arn in (function, rule, f"{layer}:*")}

    @staticmethod
    def _hardened_creation(
        sm: Callable[[str], str], network: IsolatedNetwork | None, data_key: kms.IKey
    ) -> list[iam.PolicyStatement]:
        """Creating what serves or watches the model only in its hardened form: even a template rewritten by
        whoever controls the previous stage cannot drop isolation, the VPC or the volume key here."""
        if network is None:
            return []
        in_the_vpc = {
            "Null": {"sagemaker:VpcSubnets": "false"},
            "ForAllValues:StringEquals": {"sagemaker:VpcSubnets": list(network.subnet_ids)},
        }
        volume_key = {"ArnEquals": {"sagemaker:VolumeKmsKey": data_key.key_arn}}
        return [
            iam.PolicyStatement(
                sid="IsolatedModelsInTheVpcOnly",
                actions=["sagemaker:CreateModel"],
                resources=[sm("model/*")],
                conditions={**in_the_vpc, "Bool": {"sagemaker:NetworkIsolation": "true"}},
            ),
            iam.PolicyStatement(
                sid="EncryptedEndpointVolumesOnly",
                actions=["sagemaker:CreateEndpointConfig"],
                resources=[sm("endpoint-config/*")],
                conditions={**volume_key, "Null": {"sagemaker:VolumeKmsKey": "false"}},
            ),
            iam.PolicyStatement(
                sid="IsolatedEncryptedMonitoringOnly",
                actions=["sagemaker:CreateDataQualityJobDefinition"],
                resources=[sm("data-quality-job-definition/*")],
                conditions={
                    **in_the_vpc,
                    **volume_key,
                    "Bool": {"sagemaker:NetworkIsolation": "true", "sagemaker:InterContainerTrafficEncryption": "true"},
                },
            ),
        ]
