"""A project's pipeline roles: the one SageMaker Pipelines runs its pipeline with, and its jobs' role, which
produces the evidence a promotion gate trusts.

Each project has its own pair, and only the owning team may pass the pipeline role (StudioDomain's team policy):
so a team's pipeline registers into its own project's group only, starts jobs on the team's instance types only,
tags every job with the team (what the team's budget counts), and reads only the team's folder. Pipelines runs
each step with the job role, which only the pipeline role may pass. The job role is the only principal that may
write the project's evidence folder, ``pipelines/<group>/`` of dev's artifact bucket (PlatformStack's bucket
policy), so the metrics, baselines and model there come from a recorded execution of that project's pipeline.
The pipeline's code is the team's own: what a run writes is what the team's code wrote (a step could copy a file
from the team's folder), so the evidence binds a package to a run, and the run to the team, not to honest code;
the approver, who is not the author, reviews the run. A data scientist who passes the pipeline role to a job of
their own gets a job that writes nothing there.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack, Tags
from aws_cdk import aws_iam as iam
from constructs import Construct

from roadway.config import Team
from roadway.naming import PROJECT_TAG, TEAM_TAG, ModelNames
from stacks.compliance.gate import Reason, acknowledge_wildcards
from stacks.constructs.foundation.encryption_key import grants_for_aws_resources, through
from stacks.constructs.foundation.sagemaker_role import SageMakerRole, pass_to_sagemaker
from stacks.constructs.studio.studio_policies import (
    find_buckets,
    folder_objects,
    instance_types_only,
    job_arns,
    jobs_carry_the_team,
    jobs_inside_the_vpc,
    list_buckets,
    register_for_approval_only,
    the_teams_jobs,
    use_keys,
)
from stacks.platform_imports import PlatformImports


class EvidencePipeline(Construct):
    """One project's pipeline role and job role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model: ModelNames,
        team: Team,
        team_folder: str,
        subnet_ids: Sequence[str],
        security_group_id: str,
        platform: PlatformImports,
    ) -> None:
        """``model``: the project's names (its roles, evidence folder and group); ``team_folder``: where its team's
        inputs and code lie in dev's buckets."""
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        project = model.model_package_group
        buckets = [platform.data_bucket, platform.artifact_bucket]
        evidence = platform.artifact_bucket.arn_for_objects(f"{model.evidence_prefix()}/*")
        inputs = folder_objects(buckets, team_folder)
        self.job_role = SageMakerRole(
            self,
            "JobRole",
            description=f"Roadway: the jobs of {project}'s pipeline; the only writer of its evidence folder",
            statements=[
                iam.PolicyStatement(
                    sid="ReadTheTeamsInputsAndCode",
                    actions=["s3:GetObject", "s3:GetObjectVersion"],
                    resources=[*inputs, evidence],
                ),
                iam.PolicyStatement(
                    sid="WriteEvidence",
                    actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                    resources=[evidence],
                ),
                # SageMaker lists an S3Prefix channel as this role: the team's folder and the project's evidence only.
                list_buckets(buckets, [team_folder, model.evidence_prefix()]),
                find_buckets(buckets),
                use_keys([platform.data_key, platform.artifact_key]),
            ],
            wildcards={
                **dict.fromkeys(
                    inputs, Reason(f"Read-only, team {team.name}'s folder: inputs and code differ per run.")
                ),
                evidence: Reason(f"{project}'s evidence folder only; one folder per pipeline execution."),
            },
            in_vpc=True,
            role_name=model.pipeline_job_role(),  # a contract: the artifact bucket's policy names it an evidence writer
        )

        jobs = job_arns(stack)
        group_arn, packages_arn = model.model_package_group_arn(stack.account), model.model_packages_arn(stack.account)
        self.pipeline_role = iam.Role(
            self,
            "PipelineRole",
            role_name=model.pipeline_role(),  # a contract: the team's members pass it by this name
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Roadway: SageMaker Pipelines runs {project}'s pipeline with this role",
        )
        # Whose role this is, for people reading CloudTrail and for the team's budget (roles are not billed).
        Tags.of(self.pipeline_role).add(TEAM_TAG, team.name)
        Tags.of(self.pipeline_role).add(PROJECT_TAG, project)
        policy = iam.ManagedPolicy(
            self,
            "PipelinePolicy",
            description=f"Roadway: start {project}'s jobs (isolated, in the VPC, team {team.name}'s) and register",
            roles=[self.pipeline_role],
            statements=[
                jobs_inside_the_vpc(jobs, subnet_ids, security_group_id, platform.data_key.key_arn),
                the_teams_jobs(team.name, jobs),
                # SageMaker Pipelines adds its own tags (the execution, the step) to the jobs it starts, as this role;
                # never to a job another team tagged (whether Pipelines tags at create or after is not documented,
                # so the TaggingAction key is not demanded here: a key the service does not send locks it out).
                iam.PolicyStatement(
                    sid="TagTheStepsJobs",
                    actions=["sagemaker:AddTags"],
                    resources=jobs,
                    conditions={"StringEqualsIfExists": {f"aws:ResourceTag/{TEAM_TAG}": team.name}},
                ),
                instance_types_only(team.instance_types),
                *jobs_carry_the_team(team.name),
                pass_to_sagemaker("PassTheJobRole", [self.job_role.role_arn]),
                register_for_approval_only([group_arn, packages_arn]),
                iam.PolicyStatement(
                    # The register step describes the package it has just registered (SageMaker, on its behalf).
                    sid="DescribeWhatItRegisters",
                    actions=["sagemaker:DescribeModelPackage"],
                    resources=[packages_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadStepOutputs",  # property files (evaluation.json) the condition step reads
                    actions=["s3:GetObject"],
                    resources=[evidence],
                ),
                iam.PolicyStatement(
                    sid="DecryptStepOutputsThroughS3",
                    actions=["kms:Decrypt"],
                    resources=[platform.artifact_key.key_arn],
                    conditions=through("s3", self),
                ),
                grants_for_aws_resources("GrantsOnlyForJobVolumes", [platform.data_key]),
                iam.PolicyStatement(
                    sid="DescribeTheVolumeKey", actions=["kms:DescribeKey"], resources=[platform.data_key.key_arn]
                ),
            ],
        )
        acknowledge_wildcards(
            policy,
            {
                **{
                    job: Reason(
                        "Job names are generated per step run; creating one requires network isolation, the "
                        f"project's subnets, Studio's security group, the data key and team {team.name}'s tag."
                    )
                    for job in jobs
                },
                packages_arn: Reason(
                    f"Versions of {project}'s own group, as pending only; the version is assigned at registration."
                ),
                evidence: Reason(
                    f"Read-only, {project}'s evidence folder: the condition step reads the run's evaluation.json."
                ),
            },
        )
