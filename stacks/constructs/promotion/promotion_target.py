"""A stage's side of receiving: its own promoter pulls approved packages from the previous account.

Nothing here trusts the previous account to act: it may only put approval events on this account's bus. This
account's promoter reads the package through the previous account's reader role, copies with its own
credentials, registers here and updates its own serving stack through a CloudFormation service role.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct
from promote_model.contract import PROMOTED_PREFIX, Event

from roadway.config import InstanceServing, Project, ProjectStage, ServingConfig, StageName
from roadway.naming import ModelNames
from roadway.stage_view import StageView
from stacks.compliance.gate import Reason, acknowledge_wildcards
from stacks.constructs.foundation.encryption_key import grants_for_aws_resources, through
from stacks.constructs.foundation.isolated_network import IsolatedNetwork
from stacks.constructs.foundation.sagemaker_role import pass_to_sagemaker
from stacks.constructs.promotion.model_promoter import ModelPromoter, package_state_change
from stacks.constructs.serving.model_endpoint import SCALED_DIMENSION, SCALED_NAMESPACE
from stacks.platform_imports import PlatformImports


def handed_to_sagemaker(model: ModelNames, stage: StageName, at: ProjectStage) -> list[str]:
    """The roles a project's serving stack passes to SageMaker: the endpoint's, and Model Monitor's where it
    watches."""
    engine = at.serving.monitoring.engine if at.serving.monitoring is not None else None
    return [model.serving_role(stage), *([model.watch_role(stage, engine)] if engine == "model-monitor" else [])]


# Whose service-linked role the first scalable target of a SageMaker endpoint creates in a new account.
SCALING_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"
# Application Auto Scaling's reads, which have no resource type (aws_facts): the only scaling actions on "*".
SCALING_READS = [
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScalingPolicies",
    "application-autoscaling:DescribeScheduledActions",  # the target's handler reads and keeps them (it has none)
]
# Its writes, on a scalable target, each carrying the target's namespace and dimension (aws_facts).
SCALING_WRITES = [
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:DeregisterScalableTarget",
    "application-autoscaling:PutScalingPolicy",
    "application-autoscaling:DeleteScalingPolicy",
    "application-autoscaling:PutScheduledAction",
    "application-autoscaling:DeleteScheduledAction",
]
# Its tagging, on a scalable target too, but carrying neither key: the stack's tags go on the target.
SCALING_TAGS = [
    "application-autoscaling:TagResource",
    "application-autoscaling:UntagResource",
    "application-autoscaling:ListTagsForResource",
]


class PromotionTarget(Construct):
    """The promoter may read the previous account's artifacts, write this account's bucket under ``promoted/``,
    register in its projects' groups, and update their serving stacks; approvals of the previous account reach it
    by bus.

    Each project's stack update goes through its own CloudFormation service role (:meth:`add_project`), scoped
    to that project's serving resources, so the promoter can change an endpoint only the way its serving template
    allows, and a promotion of one project touches no other's endpoint.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        promoter: ModelPromoter,
        view: StageView,
        platform: PlatformImports,
        network: IsolatedNetwork,
    ) -> None:
        """A receiving stage (one with a previous stage). Its patterns cover every project of the stage, so the
        policy stays one size however many there are: the projects' reader roles in the source account, their
        groups here, their serving stacks and deployer roles."""
        super().__init__(scope, construct_id)
        previous, source_account = view.previous, view.previous_account
        if previous is None or source_account is None:
            raise ValueError(f"{view.stage} receives from no stage")
        self._promoter = promoter
        self._view = view
        self._platform = platform
        self._network = network
        self._source_account = source_account
        serving_stacks = view.names.every_model().serving_stack(view.stage)
        self._receive_policy(previous, source_account)
        self._accept_approvals(source_account)
        # Every serving stack of the stage (its name starts with the pattern's part before the wildcard).
        promoter.record_rollbacks(serving_stacks.split("*", 1)[0])

    def _receive_policy(self, previous: StageName, source_account: str) -> iam.ManagedPolicy:
        """What the promoter may do to take in the previous stage's packages: its patterns cover every project of
        the stage, so the policy stays one size however many there are."""
        view, platform, promoter = self._view, self._platform, self._promoter
        region, account, names = view.region, view.account, view.names
        every = names.every_model()
        source_readers_arn = names.role_arn(source_account, every.reader_role(previous))
        groups_arn, packages_arn = every.model_package_group_arn(account), every.model_packages_arn(account)
        serving_stacks, deployers = every.serving_stack(view.stage), every.serving_deploy_role(view.stage)
        artifact_bucket, artifact_key = platform.artifact_bucket, platform.artifact_key

        source_objects = "arn:aws:s3:::*/*"
        source_keys = f"arn:aws:kms:{region}:{source_account}:key/*"
        promoted = artifact_bucket.arn_for_objects(f"{PROMOTED_PREFIX}/*")
        serving_stack = f"arn:aws:cloudformation:{region}:{account}:stack/{serving_stacks}/*"
        deployer_roles = names.role_arn(account, deployers)
        policy = iam.ManagedPolicy(
            self,
            "ReceivePolicy",
            description="Roadway: what this account's promoter may do to take in the previous stage's packages",
            roles=[promoter.role],
            statements=[
                iam.PolicyStatement(
                    sid="AssumeThePreviousStagesReader",
                    actions=["sts:AssumeRole"],
                    resources=[source_readers_arn],
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
                    resources=[groups_arn, packages_arn],
                    conditions={"StringEquals": {"sagemaker:ModelApprovalStatus": view.arrival_status}},
                ),
                iam.PolicyStatement(
                    sid="RegisterInTheProjectsGroups",
                    actions=[
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:ListModelPackages",
                        "sagemaker:DeleteModelPackage",
                        "sagemaker:DescribeModelPackageGroup",
                        "sagemaker:AddTags",
                    ],
                    resources=[groups_arn, packages_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadServingStacks", actions=["cloudformation:DescribeStacks"], resources=[serving_stack]
                ),
                iam.PolicyStatement(
                    sid="UpdateServingStacksThroughTheirRoles",
                    actions=["cloudformation:UpdateStack"],
                    resources=[serving_stack],
                    conditions={"ArnLike": {"cloudformation:RoleArn": deployer_roles}},
                ),
                iam.PolicyStatement(
                    sid="HandTheDeployerRolesToCloudFormation",
                    actions=["iam:PassRole"],
                    resources=[deployer_roles],
                    conditions={"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
                ),
            ],
        )
        acknowledge_wildcards(
            policy,
            {
                source_objects: Reason(
                    "The previous stage's bucket name is generated in another account; s3:ResourceAccount limits "
                    "reads to buckets that account owns, and its bucket policy admits this role only "
                    "(test_next_stage_may_read_artifacts_and_nothing_else)."
                ),
                source_keys: Reason(
                    "The previous stage's key lives in another account; decryption only through S3 (kms:ViaService)."
                ),
                promoted: Reason(
                    "Promoted artifacts only, under the promoted/ prefix of this account's artifact bucket."
                ),
                source_readers_arn: Reason(
                    "The projects' read-only reader roles in the previous account (one per project, named by "
                    "roadway/naming.py); each reads its own group only."
                ),
                groups_arn: Reason(
                    "Every model package group of this account, not only the road's projects': naming each would "
                    "outgrow IAM's 6,144-character managed policy on a road of many projects. Registration is "
                    "held to the arrival status; the function takes in only the groups it is configured with "
                    "(its code, not IAM)."
                ),
                packages_arn: Reason(
                    "Every version of every model package group of this account (see the groups' reason), "
                    "DeleteModelPackage included (the function undoes only a package it registered in the failed "
                    "attempt: its code, not IAM); the version number is assigned at registration."
                ),
                serving_stack: Reason(
                    "The projects' serving stacks (named by roadway/naming.py); a stack's ARN ends in a generated id."
                ),
                deployer_roles: Reason(
                    "The serving stacks' deployer roles, handed only to CloudFormation. Each holds by name only its "
                    "own project's endpoint, monitoring schedule, alarms and serving roles, and reads only its own "
                    "group's versions; models, endpoint configs and data-quality job definitions are named by "
                    "CloudFormation, so each may delete, describe and tag those of every project in this account "
                    "(test_acknowledged_grants.py; docs/threat-model.md, Acknowledgements)."
                ),
            },
        )
        return policy

    def _accept_approvals(self, source_account: str) -> None:
        """The previous account announces its approvals on this account's default bus: PutEvents of SageMaker
        package state changes is all it may do here, and only the rules of add_project act on them."""
        region, account = self._view.region, self._view.account
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
                "Condition": {
                    "StringEquals": {"events:source": Event.SAGEMAKER, "events:detail-type": Event.PACKAGE_STATE_CHANGE}
                },
            },
        )

    def add_project(self, scope: Construct, project: Project) -> iam.Role:
        """One project's deployer role and its two rules (approvals pulled, break-glass rejections withdrawn), in
        ``scope``.

        An instance-backed project's models, endpoint configs and monitoring jobs must use the stage's isolated
        network; a serverless one's cannot (SageMaker cannot isolate it). The deployer hands SageMaker the roles
        of :func:`handed_to_sagemaker`. Roadway's drift job reads what is served from the stack at each run, so a
        promotion touches none of it and the deployer holds no right over functions, rules or their roles.

        Every name here is the project's exactly, but for what CloudFormation generates: models, endpoint configs
        and job definitions (``*``, shared by every project's deployer, which only CloudFormation assumes, only
        through the promoter, only with the stack's own template)."""
        view, names, data_key = self._view, self._view.names, self._platform.data_key
        stage, account = view.stage, view.account
        model = names.model(project)
        at = project.stage(stage)
        assert at is not None  # every receiving stage serves every project
        group_name, packages_arn = model.model_package_group, model.model_packages_arn(account)
        serving_stack_name, endpoint_name = model.serving_stack(stage), model.endpoint(stage)
        schedule_name = model.monitoring_schedule(stage)
        serving_roles = [names.role_arn(account, role) for role in handed_to_sagemaker(model, stage, at)]
        hardened = None if at.serving.serverless else self._network
        region = view.region
        deployer = iam.Role(
            scope,
            "ServingDeployer",
            role_name=model.serving_deploy_role(stage),
            assumed_by=iam.ServicePrincipal("cloudformation.amazonaws.com"),
            description=f"Roadway: CloudFormation applies promotions to {serving_stack_name} with this role",
        )

        def sm(resource: str) -> str:
            return f"arn:aws:sagemaker:{region}:{account}:{resource}"

        schedules = sm(f"monitoring-schedule/{schedule_name}")
        # Only the alarms a promotion makes: the idle alarm (it exists while a model is served) by its name, and
        # those target tracking makes for this endpoint. Not the rollback or drift alarms: a rewritten template
        # cannot delete what pages or rolls back.
        alarms = [
            f"arn:aws:cloudwatch:{region}:{account}:alarm:{model.idle_alarm(stage)}",
            f"arn:aws:cloudwatch:{region}:{account}:alarm:TargetTracking-endpoint/{endpoint_name}/*",
        ]
        # Only an instance-backed endpoint scales (SageMaker scales a serverless one itself): a serverless project's
        # deployer holds no Application Auto Scaling write at all.
        scaled = not at.serving.serverless
        scaling_targets = f"arn:aws:application-autoscaling:{region}:{account}:scalable-target/*"
        deployer_policy = iam.ManagedPolicy(
            scope,
            "ServingDeployerPolicy",
            description="Roadway: only the resources of the serving stack",
            roles=[deployer],
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
                        schedules,
                    ],
                ),
                *self._hardened_creation(sm, hardened, data_key, at.serving),
                iam.PolicyStatement(
                    sid="ModelFromPackage", actions=["sagemaker:DescribeModelPackage"], resources=[packages_arn]
                ),
                pass_to_sagemaker("PassServingRoles", serving_roles),
                grants_for_aws_resources("EncryptedEndpointStorage", [data_key]),
                iam.PolicyStatement(
                    sid="DescribeStorageKey", actions=["kms:DescribeKey"], resources=[data_key.key_arn]
                ),
                iam.PolicyStatement(
                    sid="NoResourceScope",  # actions of no resource type (aws_facts), only these on "*"
                    actions=[
                        *(SCALING_READS if scaled else []),
                        # The scaling policy's handler checks its metric.
                        *(["cloudwatch:GetMetricData"] if scaled else []),
                        "ec2:DescribeSubnets",
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeVpcs",
                    ],
                    resources=["*"],
                ),
                *self._scaling(scaling_targets, account, scaled),
                iam.PolicyStatement(
                    # The idle alarm and the ones target tracking makes for this endpoint's variant; with the
                    # stack's tags.
                    sid="TheServingStacksAlarms",
                    actions=[
                        "cloudwatch:DescribeAlarms",  # the alarm's and the scalable target's handlers read them
                        "cloudwatch:PutMetricAlarm",
                        "cloudwatch:DeleteAlarms",
                        "cloudwatch:TagResource",
                        "cloudwatch:UntagResource",
                        "cloudwatch:ListTagsForResource",
                    ],
                    resources=alarms,
                ),
            ],
        )
        generated = Reason(
            "Names are generated by CloudFormation per version; scoped to this account and resource type."
        )
        acknowledge_wildcards(
            deployer_policy,
            {
                **{sm(r): generated for r in ("model/*", "endpoint-config/*", "data-quality-job-definition/*")},
                packages_arn: Reason(
                    "Versions of the project's group here: a model is created from whichever version is promoted."
                ),
                "*": Reason(
                    "Only actions with no resource type in the Service Authorization Reference are on *: the VPC "
                    "describes"
                    + (", Application Auto Scaling's describes and GetMetricData" if scaled else "")
                    + " (test_acknowledgements.py)."
                ),
                **(
                    {
                        scaling_targets: Reason(
                            "Scalable target ids are generated by Application Auto Scaling and no key names the "
                            "endpoint: its writes reach this account's scalable targets of a SageMaker variant's "
                            "instance count, no other service's or dimension's (service-namespace, scalable-dimension: "
                            "test_deployer_scaling.py); tagging carries neither key."
                        )
                    }
                    if scaled
                    else {}
                ),
                alarms[1]: Reason(
                    "The alarms target tracking makes for this endpoint (Application Auto Scaling names them)."
                ),
            },
        )
        work = self._promoter.work_for(group_name)
        events.Rule(
            scope,
            "PullApprovals",
            description=f"Approvals in {group_name} of {self._source_account}: this account's promoter pulls them",
            event_pattern=package_state_change(self._source_account, group_name, "Approved"),
            targets=[work],
        )
        # Break-glass: a rejection in this account's registry (the break-glass role may set nothing else) makes
        # the promoter withdraw that package from serving, record who did it and page.
        events.Rule(
            scope,
            "BreakGlassWithdrawals",
            description=f"Rejections in {group_name} here: the promoter withdraws the package if it is served",
            event_pattern=package_state_change(account, group_name, "Rejected"),
            targets=[work],
        )
        return deployer

    @staticmethod
    def _scaling(targets: str, account: str, scaled: bool) -> list[iam.PolicyStatement]:
        """What the scalable target and its policy need: writes on scalable targets of SageMaker variants' instance
        counts only (``targets``: the account's in the region, whose ids Application Auto Scaling generates), their
        tags, and the service-linked role a new account lacks; nothing when the endpoint does not scale."""
        if not scaled:
            return []
        return [
            iam.PolicyStatement(
                sid="ScaleSageMakerVariantsOnly",
                actions=SCALING_WRITES,
                resources=[targets],
                conditions={
                    "StringEquals": {
                        "application-autoscaling:service-namespace": SCALED_NAMESPACE,
                        "application-autoscaling:scalable-dimension": SCALED_DIMENSION,
                    }
                },
            ),
            iam.PolicyStatement(sid="TagScalableTargets", actions=SCALING_TAGS, resources=[targets]),
            iam.PolicyStatement(
                # A new account has no Application Auto Scaling role for SageMaker until the first scalable
                # target creates it; only that one service-linked role.
                sid="ScalingsServiceLinkedRole",
                actions=["iam:CreateServiceLinkedRole"],
                resources=[
                    f"arn:aws:iam::{account}:role/aws-service-role/{SCALING_SERVICE}/"
                    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
                ],
                conditions={"StringEquals": {"iam:AWSServiceName": SCALING_SERVICE}},
            ),
        ]

    @staticmethod
    def _hardened_creation(
        sm: Callable[[str], str], network: IsolatedNetwork | None, data_key: kms.IKey, serving: ServingConfig
    ) -> list[iam.PolicyStatement]:
        """Creating what serves or watches the model only in its hardened form and at its configured size: even a
        template rewritten by whoever controls the previous stage cannot drop isolation, the VPC, the containers'
        security group or the volume key here, nor run the model or its monitoring on other instance types."""
        if network is None:
            return []
        in_the_vpc = {
            "sagemaker:VpcSubnets": list(network.subnet_ids),
            "sagemaker:VpcSecurityGroupIds": [network.model_containers.security_group_id],
        }
        required = dict.fromkeys(in_the_vpc, "false")
        volume_key = {"ArnEquals": {"sagemaker:VolumeKmsKey": data_key.key_arn}}
        endpoint = serving.endpoint
        endpoint_types = [endpoint.instance_type] if isinstance(endpoint, InstanceServing) else []
        monitoring_types = (
            [serving.monitoring.instance_type]
            if serving.monitoring is not None and serving.monitoring.engine == "model-monitor"
            else []
        )
        statements = [
            iam.PolicyStatement(
                sid="IsolatedModelsInTheVpcOnly",
                actions=["sagemaker:CreateModel"],
                resources=[sm("model/*")],
                conditions={
                    "Null": required,
                    "ForAllValues:StringEquals": in_the_vpc,
                    "Bool": {"sagemaker:NetworkIsolation": "true"},
                },
            ),
            iam.PolicyStatement(
                sid="EncryptedEndpointVolumesOnly",
                actions=["sagemaker:CreateEndpointConfig"],
                resources=[sm("endpoint-config/*")],
                conditions={
                    **volume_key,
                    "Null": {"sagemaker:VolumeKmsKey": "false", "sagemaker:InstanceTypes": "false"},
                    "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": endpoint_types},
                },
            ),
        ]
        if not monitoring_types:
            return statements  # Roadway's drift job: no monitoring job definition to create at all
        return [
            *statements,
            iam.PolicyStatement(
                sid="IsolatedEncryptedMonitoringOnly",
                actions=["sagemaker:CreateDataQualityJobDefinition"],
                resources=[sm("data-quality-job-definition/*")],
                conditions={
                    "Null": {**required, "sagemaker:InstanceTypes": "false"},
                    "ForAllValues:StringEquals": {**in_the_vpc, "sagemaker:InstanceTypes": monitoring_types},
                    **volume_key,
                    "Bool": {"sagemaker:NetworkIsolation": "true", "sagemaker:InterContainerTrafficEncryption": "true"},
                },
            ),
        ]
