"""The IAM statements of Studio's people, teams and projects: what a data scientist, a team and a project's
pipeline may do, each a small builder the Studio domain, the profiles and the evidence pipeline compose."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from roadway.naming import TEAM_TAG, USER_TAG
from stacks.compliance.gate import Reason, acknowledge_wildcards

# The only approval status an author may register with; deciding is the approver role's (see ApproverRole).
AUTHOR_STATUS = "PendingManualApproval"
JOB_CREATES = ("sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob")
FOLLOW_JOBS = tuple(
    f"sagemaker:{verb}{kind}Job" for kind in ("Training", "Processing") for verb in ("Describe", "Stop")
)
# What a team does with its projects' pipelines (by the pipeline's name: executions carry no tags to scope by).
PIPELINE_ACTIONS = (
    "sagemaker:CreatePipeline",
    "sagemaker:UpdatePipeline",
    "sagemaker:DescribePipeline",
    "sagemaker:StartPipelineExecution",
    "sagemaker:ListPipelineExecutions",
)
EXECUTION_ACTIONS = (
    "sagemaker:DescribePipelineExecution",
    "sagemaker:DescribePipelineDefinitionForExecution",
    "sagemaker:ListPipelineExecutionSteps",
    "sagemaker:StopPipelineExecution",
)
# A team's folder: its members read, write and delete there.
# A team's folder: every member reads all of it, and writes only their own folder in it.
FOLDER_READS = ("s3:GetObject", "s3:GetObjectVersion")
FOLDER_WRITES = ("s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")
# The member's Roadway name, as their execution role's tag (DataScientist): their own folder in the team's.
OWN_NAME = f"${{aws:PrincipalTag/{USER_TAG}}}"
# What starts an instance, and so what the sagemaker:InstanceTypes key limits (people and the pipeline alike).
# CreateSpace and UpdateSpace too: a space's settings may name the instance type its apps then start on.
INSTANCE_ACTIONS = ("sagemaker:CreateApp", "sagemaker:CreateSpace", "sagemaker:UpdateSpace", *JOB_CREATES)


def jobs_inside_the_vpc(
    jobs: Sequence[str], subnet_ids: Sequence[str], security_group_id: str, key_arn: str
) -> iam.PolicyStatement:
    """Create training and processing jobs only in the dev VPC's subnets, with Studio's security group (HTTPS to the
    endpoints and gateways, nothing else), volumes under the platform's data key, and containers network-isolated
    (code and data come in as channels, nothing goes out but through S3)."""
    conditions = {
        "Null": {
            "sagemaker:VpcSubnets": "false",
            "sagemaker:VpcSecurityGroupIds": "false",
            "sagemaker:VolumeKmsKey": "false",
        },
        "ArnEquals": {"sagemaker:VolumeKmsKey": key_arn},
        "Bool": {"sagemaker:NetworkIsolation": "true"},
        "ForAllValues:StringEquals": {
            "sagemaker:VpcSubnets": list(subnet_ids),
            "sagemaker:VpcSecurityGroupIds": [security_group_id],
        },
    }
    return iam.PolicyStatement(
        sid="JobsOnlyInsideTheVpc", actions=[*JOB_CREATES], resources=list(jobs), conditions=conditions
    )


def the_teams_jobs(team: str, jobs: Sequence[str]) -> iam.PolicyStatement:
    """Describe and stop only jobs tagged ``roadway:team=<team>`` (its members' and its pipelines' alike)."""
    return iam.PolicyStatement(
        sid="FollowAndStopTheTeamsJobs",
        actions=[*FOLLOW_JOBS],
        resources=list(jobs),
        conditions={"StringEquals": {f"aws:ResourceTag/{TEAM_TAG}": team}},
    )


def jobs_carry_the_team(team: str) -> list[iam.PolicyStatement]:
    """Deny a training or processing job that does not carry ``roadway:team=<team>``: what the team's budget
    counts, and what its members see and stop by."""
    tag = f"aws:RequestTag/{TEAM_TAG}"
    return [
        iam.PolicyStatement(
            sid="JobsCarryATeamTag",
            effect=iam.Effect.DENY,
            actions=[*JOB_CREATES],
            resources=["*"],
            conditions={"Null": {tag: "true"}},
        ),
        iam.PolicyStatement(
            sid="JobsCarryThisTeamsTag",
            effect=iam.Effect.DENY,
            actions=[*JOB_CREATES],
            resources=["*"],
            conditions={"StringNotEquals": {tag: team}},
        ),
    ]


def list_buckets(buckets: Sequence[s3.IBucket], prefixes: Sequence[str]) -> iam.PolicyStatement:
    """List the buckets' keys under ``prefixes`` only (another team's keys stay unlisted)."""
    return iam.PolicyStatement(
        sid="ListProjectBuckets",
        actions=["s3:ListBucket"],
        resources=[b.bucket_arn for b in buckets],
        # Both forms: the SDK lists a prefix without its trailing slash before it uploads (a bare "teams/pricing").
        conditions={"StringLike": {"s3:prefix": [form for p in prefixes for form in (p, f"{p}/*")]}},
    )


def find_buckets(buckets: Sequence[s3.IBucket]) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="FindTheBuckets", actions=["s3:GetBucketLocation"], resources=[b.bucket_arn for b in buckets]
    )


def folder_objects(buckets: Sequence[s3.IBucket], folder: str) -> list[str]:
    """A folder's objects in each of ``buckets``."""
    return [bucket.arn_for_objects(f"{folder}/*") for bucket in buckets]


def use_keys(keys: Sequence[kms.IKey]) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="ProjectKeys",
        actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
        resources=[k.key_arn for k in keys],
    )


def register_for_approval_only(groups: Sequence[str]) -> iam.PolicyStatement:
    """CreateModelPackage only when the request says PendingManualApproval (authors and their pipeline), into
    ``groups`` (group and package ARNs)."""
    return iam.PolicyStatement(
        sid="RegisterForApprovalOnly",
        actions=["sagemaker:CreateModelPackage"],
        resources=list(groups),
        conditions={"StringEquals": {"sagemaker:ModelApprovalStatus": AUTHOR_STATUS}},
    )


def job_arns(stack: Stack) -> list[str]:
    """Every training and processing job of the account (job names are generated per run)."""
    return [
        stack.format_arn(service="sagemaker", resource=kind, resource_name="*")
        for kind in ("training-job", "processing-job")
    ]


def instance_types_only(instance_types: Sequence[str]) -> iam.PolicyStatement:
    """Deny notebooks (Studio apps) and jobs on any instance type not listed; ``system`` is Studio's own
    lightweight default for an app that names no type."""
    return iam.PolicyStatement(
        sid="OnlyTheseInstanceTypes",
        effect=iam.Effect.DENY,
        actions=[*INSTANCE_ACTIONS],
        resources=["*"],
        conditions={"ForAnyValue:StringNotEquals": {"sagemaker:InstanceTypes": [*sorted(instance_types), "system"]}},
    )


def studio_execution_role(scope: Construct, construct_id: str, description: str, **kwargs: object) -> iam.Role:
    """An execution role Studio can start apps with. The domain's ``ExecutionRoleIdentityConfig`` is
    ``USER_PROFILE_NAME``, so SageMaker sets the profile's name as the session's source identity: the role must
    trust ``sts:SetSourceIdentity`` beside ``sts:AssumeRole`` or no app starts (SageMaker, "Monitoring user
    resource access from Amazon SageMaker Studio")."""
    sagemaker_principal = iam.ServicePrincipal("sagemaker.amazonaws.com")
    role = iam.Role(scope, construct_id, assumed_by=sagemaker_principal, description=description, **kwargs)
    role.assume_role_policy.add_statements(  # type: ignore[union-attr]
        iam.PolicyStatement(actions=["sts:SetSourceIdentity"], principals=[sagemaker_principal])
    )
    return role


# What Studio's own UI lists with a person's role; IAM scopes none of these to a resource.
STUDIO_UI_LISTS = ("sagemaker:ListApps", "sagemaker:ListDomains", "sagemaker:ListSpaces", "sagemaker:ListUserProfiles")


def studio_arns(stack: Stack, domain_id: str) -> dict[str, str]:
    """The domain and every profile, space and app in it."""
    return {
        "domain": stack.format_arn(service="sagemaker", resource="domain", resource_name=domain_id),
        **{
            kind: stack.format_arn(service="sagemaker", resource=kind, resource_name=f"{domain_id}/*")
            for kind in ("user-profile", "space", "app")
        },
    }


def studio_ui(stack: Stack, domain_id: str) -> list[iam.PolicyStatement]:
    """What Studio's UI calls with the execution role beyond its lists (SageMaker, "Give your users access to
    private spaces"): it describes the domain, its profiles, spaces and apps, and tags what it creates. Tagging
    only as part of a create (``sagemaker:TaggingAction`` is present only then): whether the space or app may be
    created at all is its own create's question."""
    arns = studio_arns(stack, domain_id)
    return [
        iam.PolicyStatement(
            sid="StudioUiDescribesTheDomain",
            actions=[
                "sagemaker:DescribeDomain",
                "sagemaker:DescribeUserProfile",
                "sagemaker:DescribeSpace",
                "sagemaker:DescribeApp",
            ],
            resources=list(arns.values()),
        ),
        iam.PolicyStatement(
            sid="StudioTagsWhatItCreates",
            actions=["sagemaker:AddTags"],
            resources=[arns["space"], arns["app"]],
            conditions={"Null": {"sagemaker:TaggingAction": "false"}},
        ),
    ]


def acknowledge_studio_ui(scope: Construct, domain_id: str) -> None:
    """The reasons for :func:`studio_ui`'s wildcards, next to the policy that holds them."""
    arns = studio_arns(Stack.of(scope), domain_id)
    acknowledge_wildcards(
        scope,
        {
            arns[kind]: Reason(
                f"Studio's UI describes every {kind} of this one domain (names are chosen in Studio); tagging of "
                "spaces and apps only as part of their create, which its own grant bounds."
            )
            for kind in ("user-profile", "space", "app")
        },
    )
