"""A VPC-only SageMaker Studio domain with one least-privilege profile per data scientist."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from roadway.config import Team
from roadway.naming import TEAM_TAG, USER_TAG
from stacks.compliance.gate import Reason, acknowledge_wildcards
from stacks.constructs.foundation.encryption_key import grants_for_aws_resources
from stacks.constructs.foundation.isolated_network import IsolatedNetwork
from stacks.constructs.foundation.sagemaker_role import (
    IMAGE_REASON,
    image_repositories,
    pass_to_sagemaker,
    sagemaker_log_groups,
)
from stacks.constructs.promotion.model_registry import ModelRegistry
from stacks.constructs.studio.studio_policies import (
    EXECUTION_ACTIONS,
    FOLDER_READS,
    FOLDER_WRITES,
    INSTANCE_ACTIONS,
    OWN_NAME,
    PIPELINE_ACTIONS,
    STUDIO_UI_LISTS,
    acknowledge_studio_ui,
    find_buckets,
    folder_objects,
    instance_types_only,
    job_arns,
    jobs_carry_the_team,
    jobs_inside_the_vpc,
    list_buckets,
    register_for_approval_only,
    studio_execution_role,
    studio_ui,
    the_teams_jobs,
    use_keys,
)


@dataclass(frozen=True)
class TeamProject:
    """One of a team's projects, as its members reach it: its group, its pipeline and its evidence folder."""

    registry: ModelRegistry
    pipeline_arn: str
    pipeline_executions_arn: str
    pipeline_role_arn: str
    evidence_prefix: str


@dataclass(frozen=True)
class TeamWork:
    """What a team's policy grants: its folder in the buckets and its projects."""

    team: Team
    folder: str
    projects: Sequence[TeamProject]


class StudioDomain(Construct):
    """Studio without internet: IAM auth, KMS on its storage, idle JupyterLab shut down."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain_name: str,
        network: IsolatedNetwork,
        storage_key: kms.IKey,
        data_bucket: s3.IBucket,
        artifact_bucket: s3.IBucket,
        artifact_key: kms.IKey,
        idle_shutdown_minutes: int,
        teams: Sequence[TeamWork],
    ) -> None:
        """``teams``: each team's folder and projects, the only ones its members reach."""
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=network.vpc,
            description="Studio apps: each other, EFS home directories and VPC endpoints only",
            allow_all_outbound=False,
        )
        self.security_group.add_ingress_rule(self.security_group, ec2.Port.all_tcp(), "Studio apps talk to each other")
        self.security_group.add_egress_rule(self.security_group, ec2.Port.all_tcp(), "Studio apps talk to each other")
        # HTTPS to the interface endpoints and to S3's and DynamoDB's gateways (a rule to the VPC's range alone
        # would leave notebooks and jobs unable to read a single object), NFS to the home directories.
        network.allow_https_to_aws(self.security_group)
        self.security_group.add_egress_rule(ec2.Peer.ipv4(network.cidr), ec2.Port.tcp(2049), "EFS home directories")

        self._buckets, self._artifact_bucket = (data_bucket, artifact_bucket), artifact_bucket
        self.policy = self._data_scientist_policy(
            stack, network.subnet_ids, self.security_group, storage_key, data_bucket, artifact_bucket, artifact_key
        )
        # Shared spaces run as this role, whoever opens them: it belongs to no team, so it starts nothing a team's
        # limits would bind (no jobs, no pipelines, no role to pass). Work that costs starts from one's own space.
        shared_spaces = iam.ManagedPolicy(
            self,
            "SharedSpacesStartNothing",
            description="Roadway Studio: a shared space belongs to no team, so it starts no job or pipeline",
            statements=[
                iam.PolicyStatement(
                    sid="NoJobsPipelinesOrRolesFromSharedSpaces",
                    effect=iam.Effect.DENY,
                    actions=[
                        *INSTANCE_ACTIONS,
                        "sagemaker:CreatePipeline",
                        "sagemaker:UpdatePipeline",
                        "sagemaker:StartPipelineExecution",
                        "iam:PassRole",
                    ],
                    resources=["*"],
                )
            ],
        )
        default_role = studio_execution_role(
            self,
            "DefaultExecutionRole",
            "Roadway Studio: default execution role for shared spaces",
            managed_policies=[self.policy, shared_spaces],
        )

        jupyter_lab = sagemaker.CfnDomain.JupyterLabAppSettingsProperty(
            app_lifecycle_management=sagemaker.CfnDomain.AppLifecycleManagementProperty(
                idle_settings=sagemaker.CfnDomain.IdleSettingsProperty(
                    lifecycle_management="ENABLED",
                    idle_timeout_in_minutes=idle_shutdown_minutes,
                    min_idle_timeout_in_minutes=60,
                    max_idle_timeout_in_minutes=max(idle_shutdown_minutes, 480),
                )
            )
        )
        self.domain = sagemaker.CfnDomain(
            self,
            "Domain",
            domain_name=domain_name,
            auth_mode="IAM",
            app_network_access_type="VpcOnly",
            vpc_id=network.vpc.vpc_id,
            subnet_ids=list(network.subnet_ids),
            kms_key_id=storage_key.key_arn,
            default_user_settings=sagemaker.CfnDomain.UserSettingsProperty(
                execution_role=default_role.role_arn,
                security_groups=[self.security_group.security_group_id],
                studio_web_portal="ENABLED",
                default_landing_uri="studio::",
                jupyter_lab_app_settings=jupyter_lab,
            ),
            default_space_settings=sagemaker.CfnDomain.DefaultSpaceSettingsProperty(
                execution_role=default_role.role_arn,
                security_groups=[self.security_group.security_group_id],
                jupyter_lab_app_settings=jupyter_lab,
            ),
            # Studio copies the domain's and a profile's tags (roadway:team, roadway:user) onto the spaces, apps and
            # jobs it creates: what a team's budget counts.
            tag_propagation="ENABLED",
            domain_settings=sagemaker.CfnDomain.DomainSettingsProperty(
                # Sessions of a profile's role carry the profile name as source identity: CloudTrail, and the
                # registry's CreatedBy, name the person, not only the role.
                execution_role_identity_config="USER_PROFILE_NAME",
                security_group_ids=[self.security_group.security_group_id],
                docker_settings=sagemaker.CfnDomain.DockerSettingsProperty(enable_docker_access="DISABLED"),
            ),
        )
        self.domain.apply_removal_policy(RemovalPolicy.RETAIN)
        # What Studio's UI calls, for every execution role: a policy of its own, since it names the domain, which
        # names the default role (attached from the policy's side there; a person's role lists it).
        self.ui_policy = iam.ManagedPolicy(
            self,
            "StudioUi",
            description="Roadway Studio: what Studio's own UI calls with an execution role",
            roles=[default_role],
            statements=studio_ui(stack, self.domain.attr_domain_id),
        )
        acknowledge_studio_ui(self.ui_policy, self.domain.attr_domain_id)

        # Each team's limits, attached to each member's role beside the shared policy.
        self.team_policies = {work.team.name: self._team_policies(work) for work in teams}
        self.teams = {work.team.name: work.team for work in teams}

    def _data_scientist_policy(
        self,
        stack: Stack,
        subnet_ids: Sequence[str],
        security_group: ec2.ISecurityGroup,
        storage_key: kms.IKey,
        data_bucket: s3.IBucket,
        artifact_bucket: s3.IBucket,
        artifact_key: kms.IKey,
    ) -> iam.ManagedPolicy:
        """What every data scientist may do: the road's keys, jobs in the VPC, images and logs. Data, registries,
        pipelines and the following of jobs are per team (:meth:`_team_policies`); so a shared space, which runs as
        the domain's default role with this policy alone, reads no team's data."""
        jobs = job_arns(stack)
        images = image_repositories(stack)
        job_logs = sagemaker_log_groups(stack)
        # Each wildcard resource, with the reason an auditor reads next to its finding.
        wildcards: dict[str, Reason] = {
            **dict.fromkeys(
                jobs,
                Reason(
                    "Job names are generated per run; creating one requires network isolation, the project's "
                    "subnets, Studio's security group and the data key "
                    "(test_jobs_only_isolated_with_studios_subnets_security_group_and_key)."
                ),
            ),
            "*": Reason("List*, Search and ecr:GetAuthorizationToken support no resource-level scope in IAM."),
            **dict.fromkeys(images, IMAGE_REASON),
            job_logs: Reason("SageMaker names job log groups under /aws/sagemaker/; the grant is that prefix only."),
        }
        statements = [
            find_buckets([data_bucket, artifact_bucket]),
            use_keys([storage_key, artifact_key]),
            # SageMaker's jobs take grants on the keys, people do not.
            grants_for_aws_resources("GrantsOnlyForSageMakerResources", [storage_key, artifact_key]),
            jobs_inside_the_vpc(jobs, subnet_ids, security_group.security_group_id, storage_key.key_arn),
            iam.PolicyStatement(
                sid="ListAndSearchHaveNoResourceScope",
                actions=[
                    "sagemaker:ListModelPackageGroups",
                    "sagemaker:ListTrainingJobs",
                    "sagemaker:ListProcessingJobs",
                    "sagemaker:ListPipelines",
                    "sagemaker:Search",
                    *STUDIO_UI_LISTS,
                    "ecr:GetAuthorizationToken",
                ],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="PullSageMakerImages",
                actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                resources=images,
            ),
            iam.PolicyStatement(
                sid="JobLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                    "logs:GetLogEvents",
                ],
                resources=[job_logs],
            ),
        ]
        policy = iam.ManagedPolicy(
            self,
            "DataScientistPolicy",
            description="Roadway: what every data scientist's Studio role may do",
            statements=statements,
        )
        acknowledge_wildcards(
            policy,
            wildcards,
        )
        return policy

    def _team_policies(self, work: TeamWork) -> list[iam.ManagedPolicy]:
        """A team's two policies beyond the shared one: its limits, and its work. Two, so that a team's projects
        have a policy's whole 6,144 characters (about 840 a project: some 6 projects of 17-character names)."""
        return [self._team_limits(work.team), self._team_work(work)]

    def _team_limits(self, team: Team) -> iam.ManagedPolicy:
        """Its instance types, and its tag on every job its members start, which is also what they follow and stop
        jobs by (the tag's value is the team, never another's)."""
        jobs = job_arns(Stack.of(self))
        tag = f"aws:RequestTag/{TEAM_TAG}"
        policy = iam.ManagedPolicy(
            self,
            f"Team-{team.name}",
            description=f"Roadway Studio: limits of team {team.name}",
            statements=[
                instance_types_only(team.instance_types),
                *jobs_carry_the_team(team.name),
                iam.PolicyStatement(
                    # SageMaker authorizes the tags of a create as AddTags (with sagemaker:TaggingAction): only then,
                    # so a member cannot claim an existing untagged job; a job another team tagged stays theirs.
                    sid="TagJobsWithThisTeam",
                    actions=["sagemaker:AddTags"],
                    resources=jobs,
                    conditions={
                        "StringEquals": {tag: team.name},
                        "StringEqualsIfExists": {f"aws:ResourceTag/{TEAM_TAG}": team.name},
                        "Null": {"sagemaker:TaggingAction": "false"},
                    },
                ),
                the_teams_jobs(team.name, jobs),
            ],
        )
        acknowledge_wildcards(
            policy,
            {
                job: Reason(
                    "Job names are generated per run; tagged only as they are created (sagemaker:TaggingAction), "
                    "only with this team's tag value, never a job another team tagged."
                )
                for job in jobs
            },
        )
        return policy

    def _team_work(self, work: TeamWork) -> iam.ManagedPolicy:
        """Its folder in the buckets, and its projects: their groups (by ARN: a package carries no tag of its own),
        evidence, pipelines (by name: executions carry no tags) and pipeline roles."""
        team, projects = work.team, work.projects
        folders = folder_objects(self._buckets, work.folder)
        own_folders = folder_objects(self._buckets, f"{work.folder}/{OWN_NAME}")
        evidence = [self._artifact_bucket.arn_for_objects(f"{p.evidence_prefix}/*") for p in projects]
        groups = [arn for p in projects for arn in (p.registry.group_arn, p.registry.packages_arn)]
        statements = [
            iam.PolicyStatement(sid="TheTeamsFolder", actions=[*FOLDER_READS], resources=folders),
            # Only their own folder: the code a pipeline run names there is its owner's (the promotion's author).
            iam.PolicyStatement(sid="OwnFolderInTheTeams", actions=[*FOLDER_WRITES], resources=own_folders),
            list_buckets(self._buckets, [work.folder, *(p.evidence_prefix for p in projects)]),
        ]
        repository = team.repository()
        if repository:
            # Studio clones it with the member's role through the git-codecommit endpoint: read only.
            statements.append(
                iam.PolicyStatement(
                    sid="PullTheTeamsRepository",
                    actions=["codecommit:GitPull"],
                    resources=[Stack.of(self).format_arn(service="codecommit", resource=repository[1])],
                )
            )
        if projects:
            statements += [
                # Authors register for approval and nothing more: no UpdateModelPackage at all (it could set the
                # approval status), and CreateModelPackage only when the request says PendingManualApproval.
                register_for_approval_only(groups),
                iam.PolicyStatement(
                    sid="ReadTheTeamsGroups",
                    actions=[
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:DescribeModelPackageGroup",
                        "sagemaker:ListModelPackages",
                    ],
                    resources=groups,
                ),
                iam.PolicyStatement(
                    sid="ReadTheTeamsEvidence", actions=["s3:GetObject", "s3:GetObjectVersion"], resources=evidence
                ),
                iam.PolicyStatement(
                    # Executions carry no tags: the pipeline's own name scopes them, actions of either kind apply
                    # only to their own kind of ARN.
                    sid="TheTeamsPipelines",
                    actions=[*PIPELINE_ACTIONS, *EXECUTION_ACTIONS],
                    resources=[arn for p in projects for arn in (p.pipeline_arn, p.pipeline_executions_arn)],
                ),
                iam.PolicyStatement(
                    # Studio tags a pipeline it creates (its domain and profile): authorized as AddTags, only as
                    # part of that create (sagemaker:TaggingAction), which TheTeamsPipelines bounds.
                    sid="TagTheTeamsPipelinesOnCreate",
                    actions=["sagemaker:AddTags"],
                    resources=[p.pipeline_arn for p in projects],
                    conditions={"Null": {"sagemaker:TaggingAction": "false"}},
                ),
                # Hand a project's pipeline role to SageMaker Pipelines; never a job role, which writes evidence.
                pass_to_sagemaker("PassTheTeamsPipelineRoles", [p.pipeline_role_arn for p in projects]),
            ]
        policy = iam.ManagedPolicy(
            self,
            f"Team-{team.name}-work",
            description=f"Roadway Studio: folder and projects of team {team.name}",
            statements=statements,
        )
        acknowledge_wildcards(
            policy,
            {
                **{
                    folder: Reason(
                        f"Read-only, team {team.name}'s own folder, its shared workspace; keys differ per dataset "
                        "and run."
                    )
                    for folder in folders
                },
                **{
                    folder: Reason(
                        f"Each member of team {team.name} writes only their own folder in it (their role's "
                        f"{USER_TAG} tag); keys differ per file."
                    )
                    for folder in own_folders
                },
                **{
                    arn: Reason(f"Read-only, the evidence folder of a project of team {team.name}; one folder per run.")
                    for arn in evidence
                },
                **{
                    p.registry.packages_arn: Reason(
                        f"Versions of {p.registry.group_name}, a project of team {team.name}; numbered as registered."
                    )
                    for p in projects
                },
                **{
                    p.pipeline_executions_arn: Reason(
                        f"Runs of the pipeline of {p.registry.group_name}, a project of team {team.name}; run ids "
                        "are generated."
                    )
                    for p in projects
                },
            },
        )
        return policy
